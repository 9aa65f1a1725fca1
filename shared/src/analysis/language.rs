//! The language of a text: detection from character trigrams (the `whatlang` crate), and the
//! six languages the extractive engine can write. Not for deciding what a job writes: the
//! engines do that (see `docs/adr/0014-languages.md`).

/// A language the extractive engine writes its scaffolding in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    French,
    Spanish,
    German,
    Portuguese,
    Italian,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::English,
        Language::French,
        Language::Spanish,
        Language::German,
        Language::Portuguese,
        Language::Italian,
    ];

    /// The BCP 47 primary subtag: `en`, `fr`, …
    pub fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::French => "fr",
            Self::Spanish => "es",
            Self::German => "de",
            Self::Portuguese => "pt",
            Self::Italian => "it",
        }
    }

    /// The English name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::English => "English",
            Self::French => "French",
            Self::Spanish => "Spanish",
            Self::German => "German",
            Self::Portuguese => "Portuguese",
            Self::Italian => "Italian",
        }
    }

    /// The language a BCP 47 tag names, by its primary subtag (`pt-BR` → Portuguese); `None`
    /// for any language not among the six.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    fn of(lang: whatlang::Lang) -> Option<Self> {
        match lang {
            whatlang::Lang::Eng => Some(Self::English),
            whatlang::Lang::Fra => Some(Self::French),
            whatlang::Lang::Spa => Some(Self::Spanish),
            whatlang::Lang::Deu => Some(Self::German),
            whatlang::Lang::Por => Some(Self::Portuguese),
            whatlang::Lang::Ita => Some(Self::Italian),
            _ => None,
        }
    }
}

/// The language a text was found to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// One of the six, or `None` for any other language.
    pub language: Option<Language>,
    /// A BCP 47 tag: the two-letter code for the six, else the three-letter ISO 639-3 code
    /// (`rus`, `nld`), which BCP 47 also accepts.
    pub tag: &'static str,
    /// The English name (`French`, `Russian`).
    pub name: &'static str,
}

/// Letters a text needs before detection is trusted: below that, trigram counts are too few
/// to tell close languages (Spanish and Portuguese, say) apart.
const MIN_LETTERS: usize = 40;

/// The language `text` is written in, when it can be told with confidence: `None` for text
/// too short or too mixed to say (a code listing, a table of numbers).
pub fn detect(text: &str) -> Option<Detected> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return None;
    }
    let info = whatlang::detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    let language = Language::of(info.lang());
    Some(Detected {
        language,
        tag: language.map_or(info.lang().code(), Language::tag),
        name: language.map_or(info.lang().eng_name(), Language::name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_languages_by_their_primary_subtag() {
        assert_eq!(Language::from_tag("pt-BR"), Some(Language::Portuguese));
        assert_eq!(Language::from_tag("FR"), Some(Language::French));
        assert_eq!(Language::from_tag("nl"), None);
        for language in Language::ALL {
            assert_eq!(Language::from_tag(language.tag()), Some(language));
        }
    }

    #[test]
    fn a_paragraph_is_detected_and_a_fragment_is_not() {
        let french = "Les plantes fabriquent leur nourriture grâce à la lumière du soleil. \
                      Cette transformation se déroule dans les feuilles, où se trouve la chlorophylle.";
        assert_eq!(
            detect(french).and_then(|d| d.language),
            Some(Language::French)
        );
        assert_eq!(detect("Photosynthèse"), None);
        let dutch = "De planten maken hun voedsel met behulp van het licht van de zon. \
                     Deze omzetting vindt plaats in de bladeren, waar het bladgroen zit.";
        let found = detect(dutch).expect("a Dutch paragraph is detected");
        assert_eq!((found.language, found.tag), (None, "nld"));
    }
}
