//! espeak-ng, the embedded speech engine (Debian package `espeak-ng`): formant synthesis
//! with no network and no account, deterministic for a given version (the same text and
//! voice give the same samples), 22,050 Hz mono. Each speaker gets a distinct voice variant
//! of the script's language (`en+m3`, `en+f2`, `en+m1`, `en+f4`).
//!
//! Each call runs `espeak-ng -w FILE` with the text on standard input (a file, because its
//! `--stdout` WAV header carries a placeholder length) in a blocking task.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use async_trait::async_trait;

use super::{Pcm, Speech, SpeechError, SpeechRequest};

/// Distinct variants for speakers 1 to 4: alternating male and female voices.
const VARIANTS: [&str; 4] = ["m3", "f2", "m1", "f4"];
/// espeak-ng's normal rate, in words per minute.
const NORMAL_WPM: u32 = 175;

/// The espeak-ng engine, found on `PATH` (or at a given program path).
#[derive(Debug, Clone)]
pub struct Espeak {
    program: PathBuf,
    /// `espeak-ng 1.51`, or `None` when the program could not be run.
    version: Option<String>,
}

impl Espeak {
    /// Finds `espeak-ng` and asks its version (once). A missing program is not an error
    /// here: every synthesis then fails with [`SpeechError::Unavailable`].
    pub fn new(program: impl Into<PathBuf>) -> Self {
        let program = program.into();
        let version = Command::new(&program)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| parse_version(&String::from_utf8_lossy(&o.stdout)));
        Self { program, version }
    }

    /// Whether the program answered.
    pub fn is_installed(&self) -> bool {
        self.version.is_some()
    }
}

/// `eSpeak NG text-to-speech: 1.51  Data at: …` → `espeak-ng 1.51`.
fn parse_version(out: &str) -> String {
    let number = out
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or("unknown");
    format!("espeak-ng {number}")
}

#[async_trait]
impl Speech for Espeak {
    fn engine(&self) -> String {
        self.version
            .clone()
            .unwrap_or_else(|| "espeak-ng (not installed)".into())
    }

    fn default_voice(&self, language: &str, index: usize) -> String {
        let primary = language
            .split('-')
            .next()
            .unwrap_or("en")
            .to_ascii_lowercase();
        format!("{primary}+{}", VARIANTS[index % VARIANTS.len()])
    }

    fn max_input_bytes(&self) -> usize {
        // No service limit; bounded so one call stays short and its timeout meaningful.
        20_000
    }

    fn price_per_million_chars(&self) -> f64 {
        0.0
    }

    async fn synthesize(&self, request: &SpeechRequest) -> Result<Pcm, SpeechError> {
        if self.version.is_none() {
            return Err(SpeechError::Unavailable(format!(
                "`{}` could not be run: install the Debian package espeak-ng, or set FACTORY_SPEECH",
                self.program.display()
            )));
        }
        let program = self.program.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || run(&program, &request))
            .await
            .map_err(|e| SpeechError::Unavailable(format!("espeak-ng task: {e}")))?
    }
}

fn run(program: &Path, request: &SpeechRequest) -> Result<Pcm, SpeechError> {
    let file = std::env::temp_dir().join(format!("factory-espeak-{}.wav", ulid::Ulid::new()));
    let result = speak_into(program, request, &file);
    let _ = std::fs::remove_file(&file);
    result
}

fn speak_into(program: &Path, request: &SpeechRequest, file: &Path) -> Result<Pcm, SpeechError> {
    let wpm = (NORMAL_WPM * u32::from(request.rate_percent) / 100).clamp(80, 450);
    let mut child = Command::new(program)
        .arg("-w")
        .arg(file)
        .args(["-b", "1", "-s", &wpm.to_string(), "-v", &request.voice])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| SpeechError::Unavailable(format!("espeak-ng: {e}")))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(request.text.as_bytes())
        .map_err(|e| SpeechError::Unavailable(format!("espeak-ng input: {e}")))?;
    let out = child
        .wait_with_output()
        .map_err(|e| SpeechError::Unavailable(format!("espeak-ng: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stderr.contains("Error") {
        return Err(SpeechError::InvalidRequest(format!(
            "espeak-ng with voice `{}`: {}",
            request.voice,
            stderr.trim()
        )));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| SpeechError::BadAudio(format!("espeak-ng wrote no file: {e}")))?;
    Pcm::from_wav(&bytes).map_err(SpeechError::BadAudio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_the_banner() {
        assert_eq!(
            parse_version(
                "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data\n"
            ),
            "espeak-ng 1.51"
        );
    }

    #[test]
    fn speakers_get_distinct_variants_of_the_language() {
        let espeak = Espeak::new("/nonexistent/espeak-ng");
        let voices: Vec<_> = (0..4).map(|i| espeak.default_voice("pt-BR", i)).collect();
        assert_eq!(voices, ["pt+m3", "pt+f2", "pt+m1", "pt+f4"]);
    }

    #[tokio::test]
    async fn a_missing_program_is_reported_unavailable() {
        let espeak = Espeak::new("/nonexistent/espeak-ng");
        assert!(!espeak.is_installed());
        let request = SpeechRequest {
            text: "hello".into(),
            voice: "en".into(),
            language: "en".into(),
            rate_percent: 100,
        };
        assert!(matches!(
            espeak.synthesize(&request).await,
            Err(SpeechError::Unavailable(_))
        ));
    }
}
