//! The podcast's audio stage, run by post-processing when `podcast-script.json` is stored:
//! synthesize every turn in order (intro, segments, outro) with a short pause between turns
//! and a longer one between segments, encode one MP3 file and write a WebVTT file with one
//! cue per turn (`<v Name>` spans), cue times counted from the synthesized samples.
//!
//! - Nothing is synthesized twice: each turn is cached under `cache/speech/<key>.wav`, the
//!   key hashing its text, voice, rate and the engine's version; when both files of a job
//!   already exist (a repeated storage event), nothing is synthesized at all.
//! - Both files are written create-only, captions first, so a crash at any point followed by
//!   a rerun leaves exactly one of each (the rerun reads the cached turns back: same bytes).
//! - A script longer than the configured budget is refused before any call; speech failures
//!   (after the engine's own retries) come back as a typed [`StepError`] with the usage spent.
//!
//! MP3 is encoded by `ffmpeg` (libmp3lame) in a blocking task: it plays in every current
//! browser, and its LAME header lets decoders drop the encoder's padding, so the decoded
//! length matches the captions to the sample (ADR 0011).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::content::{CHARS_PER_MINUTE, Kind, OptionError, Options, PodcastScript};
use crate::jobs::JobId;
use crate::layout;
use crate::objects::{ObjectInfo, ObjectPath, ObjectStore, create_or_existing};
use crate::outcome::{ErrorCode, StepError, Usage};
use crate::speech::{Pcm, Speech, SpeechError, SpeechRequest, split_text};

/// Tunables of the audio stage.
#[derive(Debug, Clone)]
pub struct AudioSettings {
    /// The most spoken characters one episode may send to the engine.
    pub max_chars: usize,
    /// Silence between two turns of a segment.
    pub turn_pause: Duration,
    /// Silence between segments (and around the intro and outro).
    pub segment_pause: Duration,
    /// Turns synthesized at once.
    pub concurrency: usize,
    /// The `ffmpeg` program that encodes MP3.
    pub ffmpeg: PathBuf,
    /// MP3 bit rate in kbit/s.
    pub bitrate_kbps: u32,
    /// The deployment's voices for speakers 1, 2, … (before the engine's defaults).
    pub voices: Vec<String>,
}

impl Default for AudioSettings {
    fn default() -> Self {
        Self {
            max_chars: 60_000,
            turn_pause: Duration::from_millis(300),
            segment_pause: Duration::from_millis(800),
            concurrency: 2,
            ffmpeg: PathBuf::from("ffmpeg"),
            bitrate_kbps: 64,
            voices: Vec::new(),
        }
    }
}

/// A speech engine and how the stage uses it.
#[derive(Debug, Clone)]
pub struct AudioStage {
    pub speech: Arc<dyn Speech>,
    pub settings: AudioSettings,
}

/// What producing an episode wrote, spent and measured.
#[derive(Debug, Clone)]
pub struct Produced {
    /// The audio file, then the captions.
    pub files: Vec<(&'static str, ObjectInfo)>,
    /// Characters synthesized (cached turns excluded) and their cost.
    pub usage: Usage,
    pub turns: usize,
    pub turns_synthesized: usize,
    /// Length of the episode.
    pub audio_millis: u64,
    /// Time spent in the speech engine, and in everything else (cache, joining, encoding,
    /// writing).
    pub synthesis: Duration,
    pub total: Duration,
}

/// Why no episode was produced.
#[derive(Debug, Clone)]
pub enum AudioFailure {
    /// Final for this run: recorded on the job (with the usage spent in `StepError::usage`).
    Failed(StepError),
    /// The object store failed: the event should be delivered again.
    Store(String),
}

/// One spoken turn, in episode order.
#[derive(Debug, Clone)]
struct Line {
    speaker: String,
    voice: String,
    text: String,
    /// Silence before this turn.
    pause: Duration,
}

/// A caption: start and end in samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start: u64,
    pub end: u64,
    pub speaker: String,
    pub text: String,
}

impl AudioStage {
    /// What synthesizing a podcast with these options is expected to cost: the target
    /// duration's characters, else the middle of the length's spoken range.
    pub fn estimate(&self, options: &Options) -> Usage {
        let chars = expected_chars(options) as u64;
        Usage {
            speech_characters: chars,
            cost_usd: chars as f64 * self.speech.price_per_million_chars() / 1e6,
            ..Usage::default()
        }
    }

    /// A refusal when the options ask for more speech than the budget allows.
    pub fn check_budget(&self, options: &Options) -> Option<OptionError> {
        let minutes = options.duration_minutes?;
        let chars = minutes as usize * CHARS_PER_MINUTE;
        (chars > self.settings.max_chars).then(|| OptionError {
            path: "/options/duration_minutes".into(),
            message: format!(
                "{minutes} minutes is about {chars} spoken characters; this deployment's speech budget is {} (FACTORY_SPEECH_MAX_CHARS)",
                self.settings.max_chars
            ),
        })
    }

    /// Produces the episode of `script` for job `id`, or finds it already produced.
    #[tracing::instrument(skip_all, fields(job_id = %id))]
    pub async fn produce(
        &self,
        objects: &Arc<dyn ObjectStore>,
        id: &JobId,
        script: &PodcastScript,
        options: &Options,
    ) -> Result<Produced, AudioFailure> {
        let started = Instant::now();
        let audio_path = layout::rendering(id, Kind::PodcastScript, "mp3");
        let captions_path = layout::rendering(id, Kind::PodcastScript, "vtt");
        if let (Some(audio), Some(captions)) = (
            head(objects, &audio_path).await?,
            head(objects, &captions_path).await?,
        ) {
            return Ok(Produced {
                files: vec![("mp3", audio), ("vtt", captions)],
                usage: Usage::default(),
                turns: 0,
                turns_synthesized: 0,
                audio_millis: 0,
                synthesis: Duration::ZERO,
                total: started.elapsed(),
            });
        }
        let chars = script.spoken_chars();
        if chars > self.settings.max_chars {
            return Err(AudioFailure::Failed(StepError::new(
                ErrorCode::AudioTooLong,
                format!(
                    "the script has {chars} spoken characters; the speech budget is {} (FACTORY_SPEECH_MAX_CHARS); nothing was synthesized",
                    self.settings.max_chars
                ),
            )));
        }
        let lines = self.lines(script, options);
        let (pcms, usage, synthesized, synthesis) =
            self.synthesize_all(objects, &lines, options).await?;
        let (samples, rate, cues) = assemble(&lines, &pcms)
            .map_err(|message| failed(ErrorCode::SpeechFailed, message, usage))?;
        let pcm = Pcm {
            sample_rate: rate,
            samples,
        };
        let captions = webvtt(&cues, rate);
        let mp3 = encode_mp3(&self.settings, &pcm)
            .await
            .map_err(|message| failed(ErrorCode::SpeechUnavailable, message, usage))?;
        let captions = write(
            objects,
            &captions_path,
            Bytes::from(captions),
            "text/vtt; charset=utf-8",
        )
        .await?;
        let audio = write(objects, &audio_path, Bytes::from(mp3), "audio/mpeg").await?;
        let produced = Produced {
            files: vec![("mp3", audio), ("vtt", captions)],
            usage,
            turns: lines.len(),
            turns_synthesized: synthesized,
            audio_millis: pcm.millis(),
            synthesis,
            total: started.elapsed(),
        };
        tracing::info!(
            turns = produced.turns,
            synthesized = produced.turns_synthesized,
            audio_ms = produced.audio_millis,
            synthesis_ms = synthesis.as_millis() as u64,
            total_ms = produced.total.as_millis() as u64,
            characters = usage.speech_characters,
            "podcast audio produced"
        );
        Ok(produced)
    }

    /// The script's turns in order, each with its voice and the pause before it.
    fn lines(&self, script: &PodcastScript, options: &Options) -> Vec<Line> {
        let voice = |speaker: &str| {
            let index = script
                .speakers
                .iter()
                .position(|s| s.id == speaker)
                .unwrap_or(0);
            options
                .voices
                .get(index)
                .or_else(|| self.settings.voices.get(index))
                .cloned()
                .unwrap_or_else(|| self.speech.default_voice(options.language(), index))
        };
        let name = |speaker: &str| {
            script
                .speakers
                .iter()
                .find(|s| s.id == speaker)
                .map_or_else(|| speaker.to_owned(), |s| s.name.clone())
        };
        let (turn, segment) = (self.settings.turn_pause, self.settings.segment_pause);
        let mut groups: Vec<&[crate::content::podcast_script::Turn]> =
            vec![script.intro.as_slice()];
        groups.extend(script.segments.iter().map(|s| s.turns.as_slice()));
        groups.push(script.outro.as_slice());
        let mut lines = Vec::new();
        for (g, turns) in groups.into_iter().enumerate() {
            for (i, t) in turns.iter().enumerate() {
                let pause = match (g, i) {
                    (0, 0) => Duration::ZERO,
                    (_, 0) => segment,
                    _ => turn,
                };
                // An empty group (no turns) adds no pause: the next group's first turn has it.
                lines.push(Line {
                    speaker: name(&t.speaker),
                    voice: voice(&t.speaker),
                    text: t.text.clone(),
                    pause: if lines.is_empty() {
                        Duration::ZERO
                    } else {
                        pause
                    },
                });
            }
        }
        lines
    }

    async fn synthesize_all(
        &self,
        objects: &Arc<dyn ObjectStore>,
        lines: &[Line],
        options: &Options,
    ) -> Result<(Vec<Pcm>, Usage, usize, Duration), AudioFailure> {
        let engine = self.speech.engine();
        let limiter = Arc::new(tokio::sync::Semaphore::new(
            self.settings.concurrency.max(1),
        ));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, line) in lines.iter().enumerate() {
            let request = SpeechRequest {
                text: line.text.clone(),
                voice: line.voice.clone(),
                language: options.language().to_owned(),
                rate_percent: options.speaking_rate,
            };
            let key = turn_key(&engine, &request);
            let (speech, objects, limiter) =
                (self.speech.clone(), objects.clone(), limiter.clone());
            tasks.spawn(async move {
                let _permit = limiter.acquire_owned().await.expect("never closed");
                (index, turn(speech.as_ref(), &objects, &key, &request).await)
            });
        }
        let mut pcms: Vec<Option<Pcm>> = vec![None; lines.len()];
        let mut usage = Usage::default();
        let mut synthesized = 0;
        let mut synthesis = Duration::ZERO;
        let mut first_error: Option<AudioFailure> = None;
        while let Some(joined) = tasks.join_next().await {
            let (index, result) = match joined {
                Ok(done) => done,
                // Aborted after another turn failed: that failure is the one reported.
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    first_error.get_or_insert(AudioFailure::Store(format!(
                        "a synthesis task failed: {e}"
                    )));
                    continue;
                }
            };
            match result {
                Ok(done) => {
                    if done.chars > 0 {
                        synthesized += 1;
                        usage.speech_characters += done.chars as u64;
                        synthesis += done.took;
                    }
                    pcms[index] = Some(done.pcm);
                }
                Err(TurnError::Store(e)) => {
                    first_error.get_or_insert(AudioFailure::Store(e));
                }
                Err(TurnError::Speech { error, chars }) => {
                    usage.speech_characters += chars as u64;
                    first_error.get_or_insert_with(|| {
                        let code = match error {
                            SpeechError::Unavailable(_) => ErrorCode::SpeechUnavailable,
                            _ => ErrorCode::SpeechFailed,
                        };
                        AudioFailure::Failed(StepError::new(
                            code,
                            format!("turn {}: {error}", index + 1),
                        ))
                    });
                    tasks.abort_all();
                }
            }
        }
        usage.cost_usd =
            usage.speech_characters as f64 * self.speech.price_per_million_chars() / 1e6;
        match first_error {
            Some(AudioFailure::Failed(mut e)) => {
                e.usage = usage;
                Err(AudioFailure::Failed(e))
            }
            Some(other) => Err(other),
            None => Ok((
                pcms.into_iter()
                    .map(|p| p.expect("every turn finished"))
                    .collect(),
                usage,
                synthesized,
                synthesis,
            )),
        }
    }
}

/// The characters a podcast with these options is expected to speak.
pub fn expected_chars(options: &Options) -> usize {
    if let Some(minutes) = options.duration_minutes {
        minutes as usize * CHARS_PER_MINUTE
    } else {
        let range = options.spoken_chars();
        usize::midpoint(range.min, range.max)
    }
}

fn failed(code: ErrorCode, message: String, usage: Usage) -> AudioFailure {
    let mut error = StepError::new(code, message);
    error.usage = usage;
    AudioFailure::Failed(error)
}

/// The cache key of one turn: engine version, voice, rate and text.
pub fn turn_key(engine: &str, request: &SpeechRequest) -> String {
    let mut hasher = Sha256::new();
    for part in [
        "factory-speech-v1",
        engine,
        &request.voice,
        &request.language,
        &request.rate_percent.to_string(),
        &request.text,
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

struct TurnDone {
    pcm: Pcm,
    /// Characters synthesized (0: from the cache).
    chars: usize,
    took: Duration,
}

enum TurnError {
    Speech { error: SpeechError, chars: usize },
    Store(String),
}

/// One turn, from the cache or the engine (then cached, create-only).
async fn turn(
    speech: &dyn Speech,
    objects: &Arc<dyn ObjectStore>,
    key: &str,
    request: &SpeechRequest,
) -> Result<TurnDone, TurnError> {
    let path = layout::speech_cache(key);
    let cached = objects
        .get(&path)
        .await
        .map_err(|e| TurnError::Store(e.to_string()))?;
    if let Some(pcm) = cached.and_then(|bytes| Pcm::from_wav(&bytes).ok()) {
        return Ok(TurnDone {
            pcm,
            chars: 0,
            took: Duration::ZERO,
        });
    }
    let started = Instant::now();
    let mut joined: Option<Pcm> = None;
    let mut chars = 0;
    for piece in split_text(&request.text, speech.max_input_bytes()) {
        chars += piece.chars().count();
        let piece_request = SpeechRequest {
            text: piece,
            ..request.clone()
        };
        let pcm = speech
            .synthesize(&piece_request)
            .await
            .map_err(|error| TurnError::Speech { error, chars })?;
        match &mut joined {
            None => joined = Some(pcm),
            Some(all) if all.sample_rate == pcm.sample_rate => all.samples.extend(pcm.samples),
            Some(all) => {
                return Err(TurnError::Speech {
                    error: SpeechError::BadAudio(format!(
                        "sample rate changed from {} to {} Hz",
                        all.sample_rate, pcm.sample_rate
                    )),
                    chars,
                });
            }
        }
    }
    let pcm = joined.unwrap_or(Pcm {
        sample_rate: 22_050,
        samples: Vec::new(),
    });
    let took = started.elapsed();
    objects
        .create(&path, Bytes::from(pcm.to_wav()), "audio/wav")
        .await
        .map_err(|e| TurnError::Store(e.to_string()))?;
    Ok(TurnDone { pcm, chars, took })
}

/// Joins the turns with their pauses; returns the samples, the rate and one cue per turn.
fn assemble(lines: &[Line], pcms: &[Pcm]) -> Result<(Vec<i16>, u32, Vec<Cue>), String> {
    let rate = pcms.first().map_or(22_050, |p| p.sample_rate);
    if let Some(other) = pcms.iter().find(|p| p.sample_rate != rate) {
        return Err(format!(
            "turns came back at {rate} and {} Hz",
            other.sample_rate
        ));
    }
    let mut samples: Vec<i16> = Vec::with_capacity(pcms.iter().map(|p| p.samples.len()).sum());
    let mut cues = Vec::with_capacity(lines.len());
    for (line, pcm) in lines.iter().zip(pcms) {
        let silence = (line.pause.as_millis() as u64 * u64::from(rate) / 1000) as usize;
        samples.resize(samples.len() + silence, 0);
        let start = samples.len() as u64;
        samples.extend_from_slice(&pcm.samples);
        cues.push(Cue {
            start,
            end: samples.len() as u64,
            speaker: line.speaker.clone(),
            text: line.text.clone(),
        });
    }
    Ok((samples, rate, cues))
}

/// WebVTT captions: one cue per turn, the speaker in a `<v Name>` span.
pub fn webvtt(cues: &[Cue], rate: u32) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, cue) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n<v {}>{}\n\n",
            i + 1,
            timestamp(cue.start, rate),
            timestamp(cue.end, rate),
            cue.speaker.replace(['<', '>', '&', '\n'], ""),
            escape(&cue.text).replace('\n', " "),
        ));
    }
    out
}

/// `HH:MM:SS.mmm` of a sample index, rounded to the nearest millisecond.
fn timestamp(sample: u64, rate: u32) -> String {
    let ms = (sample * 1000 + u64::from(rate) / 2) / u64::from(rate.max(1));
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Encodes mono PCM as MP3 with ffmpeg (through temporary files: the LAME header that
/// makes the length exact is written by seeking back, which a pipe cannot do).
async fn encode_mp3(settings: &AudioSettings, pcm: &Pcm) -> Result<Vec<u8>, String> {
    let wav = pcm.to_wav();
    let program = settings.ffmpeg.clone();
    let bitrate = format!("{}k", settings.bitrate_kbps);
    tokio::task::spawn_blocking(move || {
        let base = std::env::temp_dir().join(format!("factory-audio-{}", ulid::Ulid::new()));
        let (input, output) = (base.with_extension("wav"), base.with_extension("mp3"));
        let result = ffmpeg(&program, &bitrate, &wav, &input, &output);
        let _ = std::fs::remove_file(&input);
        let _ = std::fs::remove_file(&output);
        result
    })
    .await
    .map_err(|e| format!("encoding task: {e}"))?
}

fn ffmpeg(
    program: &Path,
    bitrate: &str,
    wav: &[u8],
    input: &Path,
    output: &Path,
) -> Result<Vec<u8>, String> {
    std::fs::write(input, wav).map_err(|e| format!("temporary file: {e}"))?;
    let out = Command::new(program)
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(input)
        .args(["-c:a", "libmp3lame", "-b:a", bitrate])
        .args(["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"])
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            format!(
                "`{}` could not be run ({e}): install ffmpeg (Debian package ffmpeg) to encode podcast audio",
                program.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "ffmpeg failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::read(output).map_err(|e| format!("ffmpeg wrote no file: {e}"))
}

async fn head(
    objects: &Arc<dyn ObjectStore>,
    path: &ObjectPath,
) -> Result<Option<ObjectInfo>, AudioFailure> {
    objects
        .head(path)
        .await
        .map_err(|e| AudioFailure::Store(e.to_string()))
}

/// Writes create-only; an object already there is recorded as it is.
async fn write(
    objects: &Arc<dyn ObjectStore>,
    path: &ObjectPath,
    body: Bytes,
    content_type: &str,
) -> Result<ObjectInfo, AudioFailure> {
    create_or_existing(objects.as_ref(), path, body, content_type)
        .await
        .map_err(|e| AudioFailure::Store(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_come_from_sample_counts() {
        assert_eq!(timestamp(0, 22_050), "00:00:00.000");
        assert_eq!(timestamp(22_050 * 61 + 11_025, 22_050), "00:01:01.500");
        assert_eq!(timestamp(24_000 * 3_600, 24_000), "01:00:00.000");
    }

    #[test]
    fn captions_hold_one_voice_span_per_cue_with_text_escaped() {
        let cues = [
            Cue {
                start: 0,
                end: 22_050,
                speaker: "Ada".into(),
                text: "Is 1 < 2? Yes & no.".into(),
            },
            Cue {
                start: 30_000,
                end: 44_100,
                speaker: "Grace".into(),
                text: "Right.".into(),
            },
        ];
        let vtt = webvtt(&cues, 22_050);
        assert!(vtt.starts_with(
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\n<v Ada>Is 1 &lt; 2? Yes &amp; no.\n"
        ));
        assert!(vtt.contains("2\n00:00:01.361 --> 00:00:02.000\n<v Grace>Right.\n"));
    }

    #[test]
    fn turn_keys_change_with_text_voice_rate_and_engine() {
        let request = SpeechRequest {
            text: "Hello.".into(),
            voice: "en+m3".into(),
            language: "en".into(),
            rate_percent: 100,
        };
        let key = turn_key("espeak-ng 1.51", &request);
        assert_eq!(key, turn_key("espeak-ng 1.51", &request.clone()));
        assert_ne!(key, turn_key("espeak-ng 1.52", &request));
        for changed in [
            SpeechRequest {
                text: "Hello!".into(),
                ..request.clone()
            },
            SpeechRequest {
                voice: "en+f2".into(),
                ..request.clone()
            },
            SpeechRequest {
                rate_percent: 120,
                ..request.clone()
            },
        ] {
            assert_ne!(key, turn_key("espeak-ng 1.51", &changed));
        }
    }
}
