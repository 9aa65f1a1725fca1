//! A QTI 3.0 content package of the quiz (what Canvas, Moodle, Blackboard and Brightspace
//! import): `imsmanifest.xml`, one assessment item per question (a single-choice
//! interaction, its response declaration with the one correct choice, response processing
//! that scores it and shows the rationale as modal feedback) and an assessment test that
//! lists the items in order.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{Export, zip_archive};
use crate::content::quiz::{Question, Quiz};
use crate::content::scaffolding::{Labels, fill};

const ITEM_NS: &str = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0";
const ITEM_XSD: &str =
    "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd";
const MANIFEST_NS: &str = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1";
const MANIFEST_XSD: &str =
    "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The QTI package of a quiz, as a zip.
pub fn package(quiz: &Quiz, labels: &Labels) -> Export {
    let items: Vec<(String, Vec<u8>)> = quiz
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| (format!("items/{}.xml", item_id(i)), item(i, q, labels)))
        .collect();
    let test = test(quiz);
    let manifest = manifest(quiz);
    let mut files: Vec<(&str, &[u8])> = vec![
        ("imsmanifest.xml", manifest.as_slice()),
        ("test.xml", test.as_slice()),
    ];
    files.extend(
        items
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    );
    Export {
        suffix: "qti.zip",
        format: "qti",
        content_type: "application/zip",
        bytes: zip_archive(files),
    }
}

fn item_id(index: usize) -> String {
    format!("item-{}", index + 1)
}

fn choice_id(index: usize) -> String {
    format!("choice-{}", index + 1)
}

/// An XML document written element by element.
struct Doc(Writer<Vec<u8>>);

impl Doc {
    fn new() -> Self {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .expect("writing to memory cannot fail");
        Self(writer)
    }

    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for &(key, value) in attributes {
            start.push_attribute((key, value));
        }
        self.0.write_event(Event::Start(start)).expect("in memory");
    }

    fn close(&mut self, name: &str) {
        self.0
            .write_event(Event::End(BytesEnd::new(name)))
            .expect("in memory");
    }

    fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for &(key, value) in attributes {
            start.push_attribute((key, value));
        }
        self.0.write_event(Event::Empty(start)).expect("in memory");
    }

    fn text(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.open(name, attributes);
        self.0
            .write_event(Event::Text(BytesText::new(text)))
            .expect("in memory");
        self.close(name);
    }

    fn finish(self) -> Vec<u8> {
        let mut bytes = self.0.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

fn set_outcome(doc: &mut Doc, identifier: &str, base_type: &str, value: &str) {
    doc.open("qti-set-outcome-value", &[("identifier", identifier)]);
    doc.text("qti-base-value", &[("base-type", base_type)], value);
    doc.close("qti-set-outcome-value");
}

/// One question as an assessment item.
fn item(index: usize, q: &Question, labels: &Labels) -> Vec<u8> {
    let mut doc = Doc::new();
    let id = item_id(index);
    let location = format!("{ITEM_NS} {ITEM_XSD}");
    doc.open(
        "qti-assessment-item",
        &[
            ("xmlns", ITEM_NS),
            ("xmlns:xsi", XSI),
            ("xsi:schemaLocation", &location),
            ("identifier", &id),
            (
                "title",
                &fill(labels.question_n, &[("n", &(index + 1).to_string())]),
            ),
            ("adaptive", "false"),
            ("time-dependent", "false"),
        ],
    );
    doc.open(
        "qti-response-declaration",
        &[
            ("identifier", "RESPONSE"),
            ("cardinality", "single"),
            ("base-type", "identifier"),
        ],
    );
    doc.open("qti-correct-response", &[]);
    for (j, _) in q.choices.iter().enumerate().filter(|(_, c)| c.correct) {
        doc.text("qti-value", &[], &choice_id(j));
    }
    doc.close("qti-correct-response");
    doc.close("qti-response-declaration");
    doc.open(
        "qti-outcome-declaration",
        &[
            ("identifier", "SCORE"),
            ("cardinality", "single"),
            ("base-type", "float"),
        ],
    );
    doc.open("qti-default-value", &[]);
    doc.text("qti-value", &[], "0");
    doc.close("qti-default-value");
    doc.close("qti-outcome-declaration");
    doc.empty(
        "qti-outcome-declaration",
        &[
            ("identifier", "FEEDBACK"),
            ("cardinality", "single"),
            ("base-type", "identifier"),
        ],
    );
    doc.open("qti-item-body", &[]);
    doc.open(
        "qti-choice-interaction",
        &[
            ("response-identifier", "RESPONSE"),
            ("shuffle", "false"),
            ("max-choices", "1"),
        ],
    );
    doc.text("qti-prompt", &[], &q.question);
    for (j, choice) in q.choices.iter().enumerate() {
        doc.text(
            "qti-simple-choice",
            &[("identifier", &choice_id(j))],
            &choice.text,
        );
    }
    doc.close("qti-choice-interaction");
    doc.close("qti-item-body");
    doc.open("qti-response-processing", &[]);
    doc.open("qti-response-condition", &[]);
    doc.open("qti-response-if", &[]);
    doc.open("qti-match", &[]);
    doc.empty("qti-variable", &[("identifier", "RESPONSE")]);
    doc.empty("qti-correct", &[("identifier", "RESPONSE")]);
    doc.close("qti-match");
    set_outcome(&mut doc, "SCORE", "float", "1");
    doc.close("qti-response-if");
    doc.open("qti-response-else", &[]);
    set_outcome(&mut doc, "SCORE", "float", "0");
    doc.close("qti-response-else");
    doc.close("qti-response-condition");
    set_outcome(&mut doc, "FEEDBACK", "identifier", "RATIONALE");
    doc.close("qti-response-processing");
    doc.open(
        "qti-modal-feedback",
        &[
            ("outcome-identifier", "FEEDBACK"),
            ("identifier", "RATIONALE"),
            ("show-hide", "show"),
        ],
    );
    doc.text("qti-content-body", &[], &q.rationale);
    doc.close("qti-modal-feedback");
    doc.close("qti-assessment-item");
    doc.finish()
}

/// The assessment test: every item, in order, in one part and section.
fn test(quiz: &Quiz) -> Vec<u8> {
    let mut doc = Doc::new();
    let location = format!("{ITEM_NS} {ITEM_XSD}");
    doc.open(
        "qti-assessment-test",
        &[
            ("xmlns", ITEM_NS),
            ("xmlns:xsi", XSI),
            ("xsi:schemaLocation", &location),
            ("identifier", "test"),
            ("title", &quiz.title),
        ],
    );
    doc.open(
        "qti-test-part",
        &[
            ("identifier", "part-1"),
            ("navigation-mode", "linear"),
            ("submission-mode", "individual"),
        ],
    );
    doc.open(
        "qti-assessment-section",
        &[
            ("identifier", "section-1"),
            ("title", &quiz.title),
            ("visible", "true"),
        ],
    );
    for i in 0..quiz.questions.len() {
        let href = format!("items/{}.xml", item_id(i));
        doc.empty(
            "qti-assessment-item-ref",
            &[("identifier", &item_id(i)), ("href", &href)],
        );
    }
    doc.close("qti-assessment-section");
    doc.close("qti-test-part");
    doc.close("qti-assessment-test");
    doc.finish()
}

/// The package manifest: the test and each item as resources, the test depending on each.
fn manifest(quiz: &Quiz) -> Vec<u8> {
    let mut doc = Doc::new();
    let location = format!("{MANIFEST_NS} {MANIFEST_XSD}");
    doc.open(
        "manifest",
        &[
            ("xmlns", MANIFEST_NS),
            ("xmlns:xsi", XSI),
            ("xsi:schemaLocation", &location),
            ("identifier", "manifest"),
        ],
    );
    doc.open("metadata", &[]);
    doc.text("schema", &[], "QTI Package");
    doc.text("schemaversion", &[], "3.0.0");
    doc.close("metadata");
    doc.empty("organizations", &[]);
    doc.open("resources", &[]);
    doc.open(
        "resource",
        &[
            ("identifier", "test"),
            ("type", "imsqti_test_xmlv3p0"),
            ("href", "test.xml"),
        ],
    );
    doc.empty("file", &[("href", "test.xml")]);
    for i in 0..quiz.questions.len() {
        doc.empty("dependency", &[("identifierref", &item_id(i))]);
    }
    doc.close("resource");
    for i in 0..quiz.questions.len() {
        let href = format!("items/{}.xml", item_id(i));
        doc.open(
            "resource",
            &[
                ("identifier", &item_id(i)),
                ("type", "imsqti_item_xmlv3p0"),
                ("href", &href),
            ],
        );
        doc.empty("file", &[("href", &href)]);
        doc.close("resource");
    }
    doc.close("resources");
    doc.close("manifest");
    doc.finish()
}
