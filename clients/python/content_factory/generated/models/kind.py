from enum import StrEnum


class Kind(StrEnum):
    DETAILED_READING = "detailed-reading"
    FAQ = "faq"
    FLASHCARDS = "flashcards"
    ONE_PAGER = "one-pager"
    OUTLINE = "outline"
    PODCAST_SCRIPT = "podcast-script"
    QUIZ = "quiz"
    READING_QUESTIONS = "reading-questions"
    STUDY_GUIDE = "study-guide"

    def __str__(self) -> str:
        return str(self.value)
