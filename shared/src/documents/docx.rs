//! DOCX → Markdown: the ZIP is opened with the `zip` crate and `word/document.xml` walked with
//! `quick-xml`. Paragraphs in a Heading or Title style become `#` headings (levels from the
//! style, read in `word/styles.xml`), numbered paragraphs become list items (`1. ` when their
//! numbering is decimal in `word/numbering.xml`, else `- `), table cells become paragraphs.
//!
//! A DOCX is a ZIP, so a small upload can expand enormously: entries are counted and bytes are
//! counted while they are decompressed (sizes in the headers are not trusted).

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{DocumentError, Limits, join_blocks};

pub fn extract(bytes: &[u8], limits: Limits) -> Result<String, DocumentError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(&e))?;
    if archive.len() > limits.max_entries {
        return Err(DocumentError::ExpandsTooFar {
            limit: format!("{} entries", limits.max_entries),
        });
    }
    let mut budget = limits.max_expanded_bytes;
    let document = read_entry(&mut archive, "word/document.xml", &mut budget, limits)?
        .ok_or_else(|| corrupt(&"word/document.xml is missing"))?;
    let styles = read_entry(&mut archive, "word/styles.xml", &mut budget, limits)?
        .map(|xml| heading_styles(&xml))
        .transpose()?
        .unwrap_or_default();
    let numbering = read_entry(&mut archive, "word/numbering.xml", &mut budget, limits)?
        .map(|xml| decimal_lists(&xml))
        .transpose()?
        .unwrap_or_default();
    paragraphs(&document, &styles, &numbering)
}

fn corrupt(reason: &dyn std::fmt::Display) -> DocumentError {
    DocumentError::Corrupt {
        format: "DOCX",
        reason: reason.to_string(),
    }
}

/// One entry as UTF-8, decompressed within what is left of `budget`.
fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
    limits: Limits,
) -> Result<Option<String>, DocumentError> {
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(corrupt(&e)),
    };
    let mut bytes = Vec::new();
    entry
        .take(*budget + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(&format!("{name}: {e}")))?;
    if bytes.len() as u64 > *budget {
        return Err(DocumentError::ExpandsTooFar {
            limit: format!("{} bytes", limits.max_expanded_bytes),
        });
    }
    *budget -= bytes.len() as u64;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| corrupt(&format!("{name} is not UTF-8")))
}

/// The value of a `w:val` (or other) attribute.
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(std::borrow::Cow::into_owned)
        })
}

fn local_name(element: &BytesStart<'_>) -> String {
    element.local_name().into_inner().to_owned()
}

/// Style id → heading level, for the styles named `heading N` or `Title`.
fn heading_styles(xml: &str) -> Result<HashMap<String, u8>, DocumentError> {
    let mut levels = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut style: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| corrupt(&e))? {
            Event::Start(e) | Event::Empty(e) => match local_name(&e).as_str() {
                "style" => style = attribute(&e, "w:styleId"),
                "name" => {
                    if let (Some(id), Some(name)) = (&style, attribute(&e, "w:val"))
                        && let Some(level) = heading_level(&name)
                    {
                        levels.insert(id.clone(), level);
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(levels),
            _ => {}
        }
    }
}

/// `heading 2` → 2, `Title` → 1.
fn heading_level(style_name: &str) -> Option<u8> {
    let name = style_name.trim().to_ascii_lowercase();
    if name == "title" {
        return Some(1);
    }
    let level: u8 = name.strip_prefix("heading")?.trim().parse().ok()?;
    (1..=6).contains(&level).then_some(level)
}

/// The numbering ids whose first level counts with decimal numbers.
fn decimal_lists(xml: &str) -> Result<HashMap<String, bool>, DocumentError> {
    let mut abstract_decimal: HashMap<String, bool> = HashMap::new();
    let mut num_to_abstract: Vec<(String, String)> = Vec::new();
    let mut reader = Reader::from_str(xml);
    let (mut current_abstract, mut level, mut current_num) = (None, None, None);
    loop {
        match reader.read_event().map_err(|e| corrupt(&e))? {
            Event::Start(e) | Event::Empty(e) => match local_name(&e).as_str() {
                "abstractNum" => current_abstract = attribute(&e, "w:abstractNumId"),
                "lvl" => level = attribute(&e, "w:ilvl"),
                "numFmt" if level.as_deref() == Some("0") => {
                    if let Some(id) = &current_abstract {
                        let decimal = attribute(&e, "w:val").is_some_and(|v| v == "decimal");
                        abstract_decimal.insert(id.clone(), decimal);
                    }
                }
                "num" => current_num = attribute(&e, "w:numId"),
                "abstractNumId" => {
                    if let (Some(num), Some(id)) = (&current_num, attribute(&e, "w:val")) {
                        num_to_abstract.push((num.clone(), id));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(num_to_abstract
        .into_iter()
        .map(|(num, id)| {
            let decimal = abstract_decimal.get(&id).copied().unwrap_or(false);
            (num, decimal)
        })
        .collect())
}

/// The body's paragraphs as Markdown blocks.
fn paragraphs(
    xml: &str,
    styles: &HashMap<String, u8>,
    decimal: &HashMap<String, bool>,
) -> Result<String, DocumentError> {
    let mut blocks = Vec::new();
    let mut reader = Reader::from_str(xml);
    let mut text = String::new();
    let mut in_text = false;
    let mut heading: Option<u8> = None;
    let mut list: Option<bool> = None;
    let mut saw_body = false;
    loop {
        match reader.read_event().map_err(|e| corrupt(&e))? {
            Event::Start(e) => match local_name(&e).as_str() {
                "body" => saw_body = true,
                "p" => {
                    text.clear();
                    heading = None;
                    list = None;
                }
                "t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match local_name(&e).as_str() {
                "pStyle" => {
                    let style = attribute(&e, "w:val").unwrap_or_default();
                    heading = styles
                        .get(&style)
                        .copied()
                        .or_else(|| heading_level(&style.replace("Heading", "heading ")));
                }
                "numId" => {
                    let id = attribute(&e, "w:val").unwrap_or_default();
                    // numId 0 switches numbering off.
                    if id != "0" {
                        list = Some(decimal.get(&id).copied().unwrap_or(false));
                    }
                }
                "tab" | "br" | "cr" => text.push(' '),
                _ => {}
            },
            Event::Text(e) if in_text => text.push_str(&e.xml10_content()),
            Event::CData(e) if in_text => text.push_str(&e.xml10_content()),
            Event::GeneralRef(e) if in_text => {
                if let Ok(Some(c)) = e.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match &*e {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(e) => match e.local_name().into_inner() {
                "t" => in_text = false,
                "p" => {
                    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !line.is_empty() {
                        blocks.push(match (heading, list) {
                            (Some(level), _) => format!("{} {line}", "#".repeat(level.into())),
                            (None, Some(true)) => format!("1. {line}"),
                            (None, Some(false)) => format!("- {line}"),
                            (None, None) => line,
                        });
                    }
                    text.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_body {
        return Err(corrupt(&"word/document.xml has no body"));
    }
    // Consecutive list items belong together: one newline between them, not a blank line.
    let mut merged: Vec<String> = Vec::new();
    for block in blocks {
        let is_item = block.starts_with("- ") || block.starts_with("1. ");
        match merged.last_mut() {
            Some(previous)
                if is_item
                    && previous
                        .lines()
                        .last()
                        .is_some_and(|l| l.starts_with("- ") || l.starts_with("1. ")) =>
            {
                previous.push('\n');
                previous.push_str(&block);
            }
            _ => merged.push(block),
        }
    }
    Ok(join_blocks(merged))
}
