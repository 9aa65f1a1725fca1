"""Shows that every export check can fail: each case copies a good bundle, puts one defect in
it and expects the check to refuse it. Usage: selftest.py OUT_DIR GIFT_PARSER"""

import json
import os
import shutil
import sys
import tempfile
import zipfile

import check
import qti_check


def refuses(what, run):
    try:
        run()
    except SystemExit:
        print(f"ok refuses {what}")
        return
    print(f"FAIL accepted {what}")
    sys.exit(1)


def rewrite_zip(path, name, edit):
    with zipfile.ZipFile(path) as archive:
        entries = [(i.filename, archive.read(i.filename)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for filename, data in entries:
            archive.writestr(filename, edit(data) if filename == name else data)


def main():
    good, parser = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        def copy():
            out = tempfile.mkdtemp(dir=tmp)
            shutil.copytree(good, out, dirs_exist_ok=True)
            return out

        out = copy()
        cards = check.load(out, "flashcards")
        cards["cards"][0]["term"] = "a term the package does not hold"
        refuses("an Anki package without a card", lambda: check.check_apkg(out, cards, tempfile.mkdtemp(dir=tmp)))

        out = copy()
        with open(os.path.join(out, "flashcards.quizlet.tsv"), encoding="utf-8") as f:
            lines = f.readlines()
        with open(os.path.join(out, "flashcards.quizlet.tsv"), "w", encoding="utf-8") as f:
            f.writelines(lines[1:])
        refuses("a Quizlet list missing a card", lambda: check.check_quizlet(out, check.load(out, "flashcards")))

        out = copy()
        quiz = check.load(out, "quiz")
        rewrite_zip(
            os.path.join(out, "quiz.qti.zip"),
            "items/item-1.xml",
            lambda xml: xml.replace(b"</qti-correct-response>", b"<qti-value>choice-9</qti-value></qti-correct-response>"),
        )
        refuses(
            "a QTI item with two correct values",
            lambda: check.expect(not qti_check.check(os.path.join(out, "quiz.qti.zip"), quiz), "two values"),
        )

        out = copy()
        with open(os.path.join(out, "quiz.gift"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(out, "quiz.gift"), "w", encoding="utf-8") as f:
            f.write(text.replace("}", "", 1))
        refuses("a GIFT file with an unclosed answer", lambda: check.check_quiz_gift(out, quiz, parser))

        out = copy()
        manifest_path = os.path.join(out, "manifest.json")
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        manifest["artifacts"][0]["sha256"] = "0" * 64
        with open(manifest_path, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        refuses("an archive whose file differs from its manifest", lambda: check.check_bundle(out))


if __name__ == "__main__":
    main()
