//! Mono 16-bit PCM and the little of RIFF/WAVE the speech engines need: reading what
//! espeak-ng writes and what Cloud Text-to-Speech returns for `LINEAR16`, and writing it back
//! (the turn cache stores WAV). Not a general WAV library: only PCM, 16 bits, mono.

/// Mono 16-bit samples at a sample rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pcm {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl Pcm {
    /// The duration in milliseconds (exact to the sample, rounded down).
    pub fn millis(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(self.sample_rate.max(1))
    }

    /// Reads a WAV file holding 16-bit PCM, mono. Multi-channel audio is refused.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err("not a RIFF/WAVE file".into());
        }
        let mut at = 12;
        let mut format: Option<(u16, u16, u32, u16)> = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let declared = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes"));
            let body = at + 8;
            // espeak-ng writing to a pipe leaves a placeholder length: take what is there.
            let end = body.saturating_add(declared as usize).min(bytes.len());
            let chunk = &bytes[body..end];
            if id == b"fmt " {
                if chunk.len() < 16 {
                    return Err("short fmt chunk".into());
                }
                let le16 = |i: usize| u16::from_le_bytes([chunk[i], chunk[i + 1]]);
                let rate = u32::from_le_bytes(chunk[4..8].try_into().expect("4 bytes"));
                format = Some((le16(0), le16(2), rate, le16(14)));
            } else if id == b"data" {
                let (tag, channels, rate, bits) = format.ok_or("data before fmt")?;
                if tag != 1 || bits != 16 || channels != 1 {
                    return Err(format!(
                        "expected 16-bit mono PCM, found format {tag}, {channels} channel(s), {bits} bits"
                    ));
                }
                let samples = chunk
                    .chunks_exact(2)
                    .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                    .collect();
                return Ok(Self {
                    sample_rate: rate,
                    samples,
                });
            }
            at = end + (end - body) % 2;
        }
        Err("no data chunk".into())
    }

    /// This audio as a WAV file.
    pub fn to_wav(&self) -> Vec<u8> {
        let data_len = (self.samples.len() * 2) as u32;
        let mut out = Vec::with_capacity(44 + data_len as usize);
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        for s in &self.samples {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_round_trips() {
        let pcm = Pcm {
            sample_rate: 22_050,
            samples: vec![0, 1, -1, i16::MAX, i16::MIN],
        };
        assert_eq!(Pcm::from_wav(&pcm.to_wav()).unwrap(), pcm);
    }

    #[test]
    fn stereo_and_garbage_are_refused() {
        let mut wav = Pcm {
            sample_rate: 8_000,
            samples: vec![0; 4],
        }
        .to_wav();
        wav[22] = 2;
        assert!(Pcm::from_wav(&wav).is_err());
        assert!(Pcm::from_wav(b"nope").is_err());
    }
}
