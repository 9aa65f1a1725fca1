//! Moodle GIFT: the quiz as multiple-choice and true/false questions with the rationale as
//! general feedback, and reading-guide questions as essay questions. Every question is named
//! and filed under a category named after the title.

use super::Export;
use crate::content::quiz::{QuestionFormat, Quiz};
use crate::content::reading_questions::ReadingQuestions;

/// Text with GIFT's special characters (`~ = # { } :` and the backslash) escaped, on one line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '~' | '=' | '#' | '{' | '}' | ':' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn header(title: &str) -> String {
    format!(
        "// {}\n$CATEGORY: {}\n\n",
        title.replace('\n', " "),
        escape(title)
    )
}

fn export(text: String) -> Export {
    Export {
        suffix: "gift",
        format: "gift",
        content_type: "text/plain; charset=utf-8",
        bytes: text.into_bytes(),
    }
}

/// The quiz in GIFT.
pub fn quiz(quiz: &Quiz) -> Export {
    let mut text = header(&quiz.title);
    for (i, q) in quiz.questions.iter().enumerate() {
        text.push_str(&format!("::Q{}:: {} {{", i + 1, escape(&q.question)));
        match q.format {
            QuestionFormat::TrueFalse => {
                let truth = q.choices.first().is_some_and(|c| c.correct);
                text.push_str(if truth { "TRUE" } else { "FALSE" });
            }
            QuestionFormat::MultipleChoice => {
                for choice in &q.choices {
                    let mark = if choice.correct { '=' } else { '~' };
                    text.push_str(&format!("\n\t{mark}{}", escape(&choice.text)));
                }
                text.push('\n');
            }
        }
        text.push_str(&format!("####{}}}\n\n", escape(&q.rationale)));
    }
    export(text)
}

/// Reading-guide questions as essay questions (a teacher grades the answers).
pub fn reading_questions(questions: &ReadingQuestions) -> Export {
    let mut text = header(&questions.title);
    for (i, q) in questions.questions.iter().enumerate() {
        text.push_str(&format!("::R{}:: {} {{}}\n\n", i + 1, escape(&q.question)));
    }
    export(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            escape("a=b: {c} ~d #e \\f"),
            "a\\=b\\: \\{c\\} \\~d \\#e \\\\f"
        );
    }
}
