"""Opens every export of a finished bundle with a reader the project did not write.

Usage: check.py OUT_DIR GIFT_PARSER

- flashcards.apkg: imported into a fresh collection by the `anki` package (Anki's own
  importer); every card is found with its front, back, section, source, deck and tag.
- flashcards.anki.tsv: imported by Anki's CSV importer using the file's own headers.
- flashcards.quizlet.tsv: one term<TAB>definition line per card.
- quiz.qti.zip: checked by `qti_check.py` (structure, identifiers, one correct response per
  item matching the quiz).
- quiz.gift, reading-questions.gift: parsed by gift-pegjs (GIFT_PARSER is a node script
  that prints the parse as JSON); every question with its type, answers and feedback.
- bundle.zip: opens, and every file the manifest lists is inside with its size and SHA-256.

Prints one line per check and exits non-zero on the first mismatch.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import qti_check


def load(out, kind):
    with open(os.path.join(out, f"{kind}.json"), encoding="utf-8") as f:
        return json.load(f)["content"]


def fail(message):
    print(f"FAIL {message}")
    sys.exit(1)


def expect(condition, message):
    if not condition:
        fail(message)


def collection(tmp, name):
    from anki.collection import Collection

    return Collection(os.path.join(tmp, f"{name}.anki2"))


def check_apkg(out, cards, tmp):
    from anki.import_export_pb2 import ImportAnkiPackageRequest

    col = collection(tmp, "apkg")
    col.import_anki_package(
        ImportAnkiPackageRequest(package_path=os.path.join(out, "flashcards.apkg"))
    )
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    expect(len(notes) == len(cards["cards"]), f"apkg: {len(notes)} notes for {len(cards['cards'])} cards")
    by_front = {n["Front"]: n for n in notes}
    for card in cards["cards"]:
        note = by_front.get(card["term"])
        expect(note is not None, f"apkg: no note for {card['term']!r}")
        expect(note["Back"] == card["definition"], f"apkg: back of {card['term']!r}")
        expect(f"Section {card['source']['section']}" in note["Source"], f"apkg: source of {card['term']!r}")
        expect(any(t.startswith("section::") for t in note.tags), f"apkg: tags {note.tags}")
    decks = [d.name for d in col.decks.all_names_and_ids()]
    expect(cards["title"] in decks, f"apkg: deck {cards['title']!r} not in {decks}")
    col.close()
    print(f"ok flashcards.apkg: {len(notes)} notes in deck {cards['title']!r}")


def check_anki_tsv(out, cards, tmp):
    from anki.import_export_pb2 import ImportCsvRequest

    col = collection(tmp, "tsv")
    path = os.path.join(out, "flashcards.anki.tsv")
    metadata = col.get_csv_metadata(path=path, delimiter=None)
    col.import_csv(ImportCsvRequest(path=path, metadata=metadata))
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    expect(len(notes) == len(cards["cards"]), f"anki tsv: {len(notes)} notes for {len(cards['cards'])} cards")
    fronts = {n["Front"] for n in notes}
    for card in cards["cards"]:
        expect(card["term"] in fronts, f"anki tsv: no note for {card['term']!r}")
    expect(all(n.tags for n in notes), "anki tsv: a note without its section tag")
    decks = [d.name for d in col.decks.all_names_and_ids()]
    expect(cards["title"] in decks, f"anki tsv: deck {cards['title']!r} not in {decks}")
    col.close()
    print(f"ok flashcards.anki.tsv: {len(notes)} notes")


def check_quizlet(out, cards):
    with open(os.path.join(out, "flashcards.quizlet.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    expect(len(rows) == len(cards["cards"]), "quizlet: one line per card")
    for row, card in zip(rows, cards["cards"]):
        expect(row == [card["term"], card["definition"]], f"quizlet: {row!r}")
    print(f"ok flashcards.quizlet.tsv: {len(rows)} cards")


def gift(parser, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    run = subprocess.run(["node", parser], input=text, capture_output=True, text=True, check=False)
    reason = next((line for line in run.stderr.splitlines() if "Error" in line), run.stderr.strip())
    expect(run.returncode == 0, f"gift-pegjs refused {path}: {reason}")
    return [q for q in json.loads(run.stdout) if q["type"] != "Category"]


def text_of(node):
    return node["text"] if isinstance(node, dict) else node


def check_quiz_gift(out, quiz, parser):
    questions = gift(parser, os.path.join(out, "quiz.gift"))
    expect(len(questions) == len(quiz["questions"]), "gift: one question per quiz question")
    for parsed, q in zip(questions, quiz["questions"]):
        expect(text_of(parsed["stem"]) == q["question"], f"gift stem {parsed['stem']!r}")
        expect(text_of(parsed["globalFeedback"]) == q["rationale"], "gift: the rationale as feedback")
        if q["format"] == "true_false":
            expect(parsed["type"] == "TF", f"gift type {parsed['type']}")
            expect(parsed["isTrue"] == q["choices"][0]["correct"], "gift: the true/false answer")
        else:
            expect(parsed["type"] == "MC", f"gift type {parsed['type']}")
            got = [(text_of(c["text"]), c["isCorrect"]) for c in parsed["choices"]]
            want = [(c["text"], c["correct"]) for c in q["choices"]]
            expect(got == want, f"gift choices {got} != {want}")
    print(f"ok quiz.gift: {len(questions)} questions")


def check_reading_gift(out, questions, parser):
    parsed = gift(parser, os.path.join(out, "reading-questions.gift"))
    expect(len(parsed) == len(questions["questions"]), "gift: one essay per reading question")
    for p, q in zip(parsed, questions["questions"]):
        expect(p["type"] == "Essay" and text_of(p["stem"]) == q["question"], f"gift essay {p!r}")
    print(f"ok reading-questions.gift: {len(parsed)} essay questions")


def check_bundle(out):
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with zipfile.ZipFile(os.path.join(out, "bundle.zip")) as archive:
        expect(archive.testzip() is None, "bundle.zip: a corrupt entry")
        names = set(archive.namelist())
        expect("manifest.json" in names, "bundle.zip: no manifest")
        for artifact in manifest["artifacts"]:
            data = archive.read(artifact["name"])
            expect(len(data) == artifact["bytes"], f"bundle.zip: size of {artifact['name']}")
            expect(hashlib.sha256(data).hexdigest() == artifact["sha256"], f"bundle.zip: hash of {artifact['name']}")
        expect(len(names) == len(manifest["artifacts"]) + 1, "bundle.zip: files the manifest does not list")
    print(f"ok bundle.zip: {len(names)} files, hashes as in the manifest")


def main():
    out, parser = sys.argv[1], sys.argv[2]
    cards, quiz = load(out, "flashcards"), load(out, "quiz")
    with tempfile.TemporaryDirectory() as tmp:
        check_apkg(out, cards, tmp)
        check_anki_tsv(out, cards, tmp)
    check_quizlet(out, cards)
    problems = qti_check.check(os.path.join(out, "quiz.qti.zip"), quiz)
    expect(not problems, f"quiz.qti.zip: {problems}")
    print(f"ok quiz.qti.zip: {len(quiz['questions'])} items, one correct response each")
    check_quiz_gift(out, quiz, parser)
    check_reading_gift(out, load(out, "reading-questions"), parser)
    check_bundle(out)


if __name__ == "__main__":
    main()
