//! The podcast audio stage with espeak-ng on a ten-minute script: the real-time factor of
//! synthesis (seconds of engine time per second of audio) and the stage's overhead over the
//! synthesis itself (turn cache reads and writes, joining, MP3 encoding, WebVTT, writing the
//! files), then a rerun that finds every turn in the turn cache.
//!
//! The script is built here, deterministically: two speakers, an intro, eight segments of
//! eight turns and an outro, about 9,000 spoken characters (900 a minute) of plain English
//! sentences. Runs once per invocation (a single long measurement, not a statistical
//! sample): `cargo bench -p factory-shared --bench podcast_audio` (add `--profile dev` to skip
//! the optimized build; the engine and the encoder are separate programs either way).
//! Needs espeak-ng and ffmpeg (`scripts/install-audio-tools`).

use std::sync::Arc;
use std::time::Instant;

use factory_shared::content::Options;
use factory_shared::content::podcast_script::{PodcastScript, Segment, Speaker, SpeakerRole, Turn};
use factory_shared::jobs::JobId;
use factory_shared::objects::ObjectStore;
use factory_shared::objects::dir::DirObjectStore;
use factory_shared::pipeline::audio::{AudioSettings, AudioStage};
use factory_shared::speech::espeak::Espeak;

const SENTENCES: [&str; 8] = [
    "Photosynthesis turns light energy into chemical energy stored in sugar.",
    "The light reactions take place in the thylakoid membranes of the chloroplast.",
    "Water is split, oxygen is released, and the energy is carried by ATP and NADPH.",
    "In the Calvin cycle, carbon dioxide is fixed by the enzyme rubisco.",
    "That is a good point, and it leads us to the question of efficiency.",
    "Most plants capture only a small share of the light that reaches them.",
    "Temperature, light intensity and carbon dioxide all limit the overall rate.",
    "Let us look at how scientists measure that rate in the laboratory.",
];

fn ten_minute_script() -> PodcastScript {
    let mut n = 0;
    let mut turn = |speaker: &str| {
        let mut text = (0..2)
            .map(|_| {
                n += 1;
                SENTENCES[n % SENTENCES.len()]
            })
            .collect::<Vec<_>>()
            .join(" ");
        // Every turn differs, so the turn cache cannot spare a synthesis in the cold run.
        text.push_str(&format!(" That was point {}.", n / 2));
        Turn {
            speaker: speaker.into(),
            text,
            source: None,
        }
    };
    let speakers = ["host", "expert"];
    let intro = vec![turn("host"), turn("expert")];
    let segments = (1..=8)
        .map(|section| Segment {
            section,
            title: format!("Part {section}"),
            turns: (0..8).map(|i| turn(speakers[i % 2])).collect(),
        })
        .collect();
    let outro = vec![turn("expert"), turn("host")];
    PodcastScript {
        title: "Photosynthesis".into(),
        speakers: vec![
            Speaker {
                id: "host".into(),
                name: "Alex".into(),
                role: SpeakerRole::Host,
            },
            Speaker {
                id: "expert".into(),
                name: "Sam".into(),
                role: SpeakerRole::Expert,
            },
        ],
        intro,
        segments,
        outro,
        estimated_minutes: 10,
    }
}

#[tokio::main]
async fn main() {
    let espeak = Espeak::new("espeak-ng");
    assert!(
        espeak.is_installed(),
        "espeak-ng is missing: run scripts/install-audio-tools"
    );
    let script = ten_minute_script();
    let dir = tempfile::tempdir().unwrap();
    let objects: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(dir.path().join("objects")).unwrap());
    let stage = AudioStage {
        speech: Arc::new(espeak),
        settings: AudioSettings {
            concurrency: 1,
            ..AudioSettings::default()
        },
    };
    let options = Options::default();

    let started = Instant::now();
    let cold = stage
        .produce(&objects, &JobId::generate(), &script, &options)
        .await
        .unwrap();
    let cold_wall = started.elapsed();
    let started = Instant::now();
    let warm = stage
        .produce(&objects, &JobId::generate(), &script, &options)
        .await
        .unwrap();
    let warm_wall = started.elapsed();

    let audio = cold.audio_millis as f64 / 1000.0;
    let synthesis = cold.synthesis.as_secs_f64();
    let overhead = cold_wall.as_secs_f64() - synthesis;
    let mp3 = cold.files[0].1.bytes;
    let vtt = cold.files[1].1.bytes;
    println!("podcast audio, espeak-ng, one turn at a time");
    println!(
        "  script: {} turns, {} spoken characters",
        cold.turns, cold.usage.speech_characters
    );
    println!("  audio: {audio:.1} s ({:.1} min)", audio / 60.0);
    println!(
        "  synthesis: {synthesis:.2} s, real-time factor {:.4} ({:.0}x faster than real time)",
        synthesis / audio,
        audio / synthesis
    );
    println!(
        "  stage total: {:.2} s; overhead over synthesis {overhead:.2} s ({:.0} % of the total)",
        cold_wall.as_secs_f64(),
        100.0 * overhead / cold_wall.as_secs_f64()
    );
    println!(
        "  files: mp3 {mp3} bytes ({:.0} kB a minute), vtt {vtt} bytes",
        mp3 as f64 / 1000.0 / (audio / 60.0)
    );
    println!(
        "  rerun from the turn cache: {:.2} s, {} turns synthesized",
        warm_wall.as_secs_f64(),
        warm.turns_synthesized
    );
}
