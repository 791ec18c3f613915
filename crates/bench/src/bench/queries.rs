//! The mix of search queries, drawn across the vocabulary's frequency bands.
use super::*;

/// Query kinds, by the share of seeded tickets a word occurs in.
pub(super) const BANDS: [(&str, f64); 5] = [
    ("rare word (<0.5% of tickets)", 0.30),
    ("mid word (0.5–5%)", 0.30),
    ("common word (5–25%)", 0.10),
    ("two words (rare/mid/common)", 0.20),
    ("order number (1 ticket)", 0.10),
];

/// The search queries of the bench: mostly rare and mid-frequency words, some common ones, some two-word
/// queries and some order numbers. Words in more than a quarter of the tickets (the stop words of this
/// vocabulary) are not searched for on their own.
pub(super) struct QueryMix {
    pub(super) vocab: Arc<Vocabulary>,
    pub(super) rare: Vec<usize>,
    pub(super) mid: Vec<usize>,
    pub(super) common: Vec<usize>,
    pub(super) seeded: u64,
}

impl QueryMix {
    pub(super) fn new(vocab: Arc<Vocabulary>, document_frequency: &[u32], seeded: u64) -> Self {
        let (mut rare, mut mid, mut common) = (vec![], vec![], vec![]);
        for (rank, &df) in document_frequency.iter().enumerate() {
            let share = f64::from(df) / seeded.max(1) as f64;
            match share {
                s if s < 0.005 => rare.push(rank),
                s if s < 0.05 => mid.push(rank),
                s if s < 0.25 => common.push(rank),
                _ => {}
            }
        }
        Self {
            vocab,
            rare,
            mid,
            common,
            seeded,
        }
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "{} rare, {} mid, {} common words in the vocabulary of {}; mix {}",
            self.rare.len(),
            self.mid.len(),
            self.common.len(),
            self.vocab.len(),
            BANDS
                .iter()
                .map(|(name, share)| format!("{:.0}% {name}", share * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    pub(super) fn word_in_band<'a>(&'a self, band: usize, rng: &mut Rng) -> Option<&'a str> {
        let list = match band {
            0 => &self.rare,
            1 => &self.mid,
            _ => &self.common,
        };
        (!list.is_empty()).then(|| self.vocab.word(list[rng.below(list.len() as u64) as usize]))
    }

    /// A query and its band (index into [`BANDS`]).
    pub(super) fn pick(&self, rng: &mut Rng) -> (String, u8) {
        let u = rng.unit();
        let mut acc = 0.0;
        let mut band = BANDS.len() - 1;
        for (i, (_, share)) in BANDS.iter().enumerate() {
            acc += share;
            if u < acc {
                band = i;
                break;
            }
        }
        let single = |rng: &mut Rng, b: usize| -> String {
            self.word_in_band(b, rng)
                .or_else(|| self.word_in_band(0, rng))
                .or_else(|| self.word_in_band(1, rng))
                .or_else(|| self.word_in_band(2, rng))
                .unwrap_or_else(|| self.vocab.word(self.vocab.len() - 1))
                .to_owned()
        };
        let q = match band {
            0..=2 => single(rng, band),
            3 => {
                let (x, y) = (rng.below(3) as usize, rng.below(3) as usize);
                let a = single(rng, x);
                let b = single(rng, y);
                format!("{a} {b}")
            }
            _ => order_number(rng.below(self.seeded.max(1))).to_string(),
        };
        (q, band as u8)
    }

    pub(super) fn band_stats(&self, out: &PhaseOutput) -> Vec<Stats> {
        BANDS
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let latencies = out
                    .samples
                    .iter()
                    .filter(|s| usize::from(s.1) == i)
                    .map(|s| s.0)
                    .collect();
                let mut stats = Stats::of(latencies, out.elapsed);
                stats.name = (*name).to_owned();
                stats.concurrency = out.concurrency;
                stats
            })
            .collect()
    }
}
