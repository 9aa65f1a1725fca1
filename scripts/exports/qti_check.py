"""A structural checker for QTI 3.0 content packages (no registry package ships the 1EdTech
XML schemas, so this checks what they would, for the subset the factory writes):

- the package is a zip with imsmanifest.xml in the IMS CP namespace of QTI 3.0, every
  resource's href and file exist in the zip, item resources have type imsqti_item_xmlv3p0
  and the test resource imsqti_test_xmlv3p0 depending on every item;
- every item is well-formed XML in the QTI 3.0 ASI namespace, with a unique identifier, a
  single-cardinality identifier response declaration holding exactly one correct value,
  a SCORE outcome, a choice interaction bound to that response with max-choices 1, whose
  simple choices have unique identifiers including the correct one, response processing,
  and modal feedback bound to a declared outcome;
- the test references every item once, by the href the manifest gives;
- against the quiz it came from: one item per question, in order, with its prompt, its
  choices, the correct choice and the rationale as feedback.

check(path, quiz) returns the list of problems (empty when the package is sound).
"""

import zipfile

from lxml import etree

CP = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
ASI = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"


def q(tag, ns=ASI):
    return f"{{{ns}}}{tag}"


def text(element):
    return "".join(element.itertext()).strip() if element is not None else None


def check_item(root, question, problems, where):
    if root.tag != q("qti-assessment-item"):
        problems.append(f"{where}: root is {root.tag}")
        return
    declarations = root.findall(q("qti-response-declaration"))
    if len(declarations) != 1:
        problems.append(f"{where}: {len(declarations)} response declarations")
        return
    declaration = declarations[0]
    if declaration.get("cardinality") != "single" or declaration.get("base-type") != "identifier":
        problems.append(f"{where}: the response is not a single identifier")
    values = declaration.findall(f"{q('qti-correct-response')}/{q('qti-value')}")
    if len(values) != 1:
        problems.append(f"{where}: {len(values)} correct values")
        return
    outcomes = {o.get("identifier") for o in root.findall(q("qti-outcome-declaration"))}
    if "SCORE" not in outcomes:
        problems.append(f"{where}: no SCORE outcome")
    interactions = root.findall(f".//{q('qti-choice-interaction')}")
    if len(interactions) != 1:
        problems.append(f"{where}: {len(interactions)} choice interactions")
        return
    interaction = interactions[0]
    if interaction.get("response-identifier") != declaration.get("identifier"):
        problems.append(f"{where}: the interaction is not bound to the response")
    if interaction.get("max-choices") != "1":
        problems.append(f"{where}: max-choices is not 1")
    choices = interaction.findall(q("qti-simple-choice"))
    ids = [c.get("identifier") for c in choices]
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: repeated choice identifiers")
    correct = values[0].text
    if correct not in ids:
        problems.append(f"{where}: the correct value {correct} is no choice")
        return
    if root.find(q("qti-response-processing")) is None:
        problems.append(f"{where}: no response processing")
    for feedback in root.findall(q("qti-modal-feedback")):
        if feedback.get("outcome-identifier") not in outcomes:
            problems.append(f"{where}: feedback bound to an undeclared outcome")
    if question is None:
        return
    if text(interaction.find(q("qti-prompt"))) != question["question"]:
        problems.append(f"{where}: the prompt differs from the question")
    if [text(c) for c in choices] != [c["text"] for c in question["choices"]]:
        problems.append(f"{where}: the choices differ")
    wanted = [i for i, c in enumerate(question["choices"]) if c["correct"]]
    if wanted != [ids.index(correct)]:
        problems.append(f"{where}: the correct choice differs from the quiz's")
    feedback = root.find(q("qti-modal-feedback"))
    if text(feedback) != question["rationale"]:
        problems.append(f"{where}: the feedback is not the rationale")


def check(path, quiz):
    problems = []
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        return [f"not a zip: {e}"]
    names = set(archive.namelist())
    if "imsmanifest.xml" not in names:
        return ["no imsmanifest.xml"]
    try:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    except etree.XMLSyntaxError as e:
        return [f"imsmanifest.xml: {e}"]
    if manifest.tag != q("manifest", CP):
        problems.append(f"imsmanifest.xml: root is {manifest.tag}")
    resources = manifest.findall(f"{q('resources', CP)}/{q('resource', CP)}")
    items, tests = [], []
    for resource in resources:
        href = resource.get("href")
        if href not in names:
            problems.append(f"resource {resource.get('identifier')}: {href} is missing")
        for file in resource.findall(q("file", CP)):
            if file.get("href") not in names:
                problems.append(f"resource {resource.get('identifier')}: file {file.get('href')} is missing")
        kind = resource.get("type")
        if kind == "imsqti_item_xmlv3p0":
            items.append(resource)
        elif kind == "imsqti_test_xmlv3p0":
            tests.append(resource)
        else:
            problems.append(f"resource {resource.get('identifier')}: unknown type {kind}")
    item_ids = [r.get("identifier") for r in items]
    if len(set(item_ids)) != len(item_ids):
        problems.append("repeated item identifiers")
    if len(tests) != 1:
        problems.append(f"{len(tests)} test resources")
    else:
        needed = {d.get("identifierref") for d in tests[0].findall(q("dependency", CP))}
        if needed != set(item_ids):
            problems.append("the test does not depend on exactly the items")
        test = etree.fromstring(archive.read(tests[0].get("href")))
        refs = [r.get("href") for r in test.iter(q("qti-assessment-item-ref"))]
        if refs != [r.get("href") for r in items]:
            problems.append("the test does not reference every item once, in order")
    if quiz is not None and len(items) != len(quiz["questions"]):
        problems.append(f"{len(items)} items for {len(quiz['questions'])} questions")
    for i, resource in enumerate(items):
        href = resource.get("href")
        if href not in names:
            continue
        try:
            root = etree.fromstring(archive.read(href))
        except etree.XMLSyntaxError as e:
            problems.append(f"{href}: {e}")
            continue
        if root.get("identifier") != resource.get("identifier"):
            problems.append(f"{href}: identifier differs from the manifest's")
        question = quiz["questions"][i] if quiz is not None and i < len(quiz["questions"]) else None
        check_item(root, question, problems, href)
    return problems
