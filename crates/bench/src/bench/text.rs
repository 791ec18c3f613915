//! Deterministic text for seeding: a pseudo-word vocabulary with Zipf-like frequencies.
use super::*;

/// xorshift64*: deterministic, fast, and good enough to pick words.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The order number quoted in the opening message of seeded ticket `n` (deterministic, so queries can
/// ask for one that exists).
pub(super) fn order_number(n: u64) -> u64 {
    let mut r = Rng::new(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef);
    r.next_u64();
    10_000_000 + r.below(90_000_000)
}

/// One seeded ticket's generated content.
pub(super) struct SeedTicket {
    pub(super) person: usize,
    pub(super) status: TicketStatus,
    pub(super) locked: bool,
    pub(super) priority: Priority,
    pub(super) read_by_staff: bool,
    pub(super) title: String,
    /// The opening message and the replies.
    pub(super) messages: Vec<String>,
}

impl Default for SeedTicket {
    fn default() -> Self {
        Self {
            person: 0,
            status: TicketStatus::Waiting,
            locked: false,
            priority: Priority::MEDIUM,
            read_by_staff: false,
            title: String::new(),
            messages: Vec::new(),
        }
    }
}

/// The deterministic text of the seeded tickets; replaying it (`--search-only`) yields the same words.
pub(super) struct SeedText<'a> {
    pub(super) vocab: &'a Vocabulary,
    pub(super) rng: Rng,
    pub(super) words: Vec<u32>,
    /// How many seeded tickets contain each word, by rank.
    pub(super) document_frequency: Vec<u32>,
}

impl<'a> SeedText<'a> {
    pub(super) fn new(vocab: &'a Vocabulary) -> Self {
        Self {
            vocab,
            rng: Rng::new(0x0005_eed5),
            words: Vec::with_capacity(512),
            document_frequency: vec![0; vocab.len()],
        }
    }

    /// Ticket number `n` (from 0) of the seed.
    pub(super) fn next(&mut self, n: u64, t: &mut SeedTicket) {
        let rng = &mut self.rng;
        self.words.clear();
        t.person = rng.below((CUSTOMERS * 2) as u64) as usize;
        t.status = TicketStatus::ALL[rng.below(4) as usize];
        t.locked = rng.below(20) == 0;
        t.priority = Priority::try_from(1 + rng.below(3) as i64).unwrap_or(Priority::MEDIUM);
        t.read_by_staff = rng.below(2) == 0;
        self.vocab.title(rng, &mut t.title, &mut self.words);
        t.messages.resize(REPLIES + 1, String::new());
        for (k, message) in t.messages.iter_mut().enumerate() {
            self.vocab.message(rng, message, &mut self.words);
            if k == 0 {
                // Opening messages quote an order number: a token that is (nearly) unique.
                let _ = write!(message, " Order {}.", order_number(n));
            }
        }
        self.words.sort_unstable();
        self.words.dedup();
        for &w in &self.words {
            self.document_frequency[w as usize] += 1;
        }
    }
}

/// Pronounceable pseudo-words, most frequent first, drawn with Zipfian frequencies.
pub(super) struct Vocabulary {
    pub(super) words: Vec<String>,
    /// Cumulative probability by rank.
    pub(super) cdf: Vec<f64>,
}

impl Vocabulary {
    pub(super) fn new(size: usize, seed: u64) -> Self {
        const ONSETS: [&str; 20] = [
            "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "st", "tr", "pl",
        ];
        const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
        const CODAS: [&str; 8] = ["", "", "", "n", "r", "s", "t", "l"];
        let mut rng = Rng::new(seed);
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            // Frequent words are short, rare ones long, as in natural language.
            let syllables = 1 + (words.len() * 3 / size.max(1)) + rng.below(2) as usize;
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(ONSETS[rng.below(ONSETS.len() as u64) as usize]);
                w.push_str(VOWELS[rng.below(VOWELS.len() as u64) as usize]);
                w.push_str(CODAS[rng.below(CODAS.len() as u64) as usize]);
            }
            if w.len() >= 2 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let weights: Vec<f64> = (1..=size).map(|r| 1.0 / r as f64).collect();
        let sum: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / sum;
                acc
            })
            .collect();
        Self { words, cdf }
    }

    pub(super) fn len(&self) -> usize {
        self.words.len()
    }

    pub(super) fn word(&self, rank: usize) -> &str {
        &self.words[rank]
    }

    pub(super) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.words.len() - 1)
    }

    pub(super) fn words_into(&self, rng: &mut Rng, n: usize, out: &mut String, used: &mut Vec<u32>) {
        for i in 0..n {
            let rank = self.sample(rng);
            used.push(rank as u32);
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.words[rank]);
        }
    }

    /// A subject line of 3–8 words.
    pub(super) fn title(&self, rng: &mut Rng, out: &mut String, used: &mut Vec<u32>) {
        out.clear();
        let n = 3 + rng.below(6) as usize;
        self.words_into(rng, n, out, used);
        capitalize(out);
    }

    /// A message of 1–4 sentences, 15–60 words in all.
    pub(super) fn message(&self, rng: &mut Rng, out: &mut String, used: &mut Vec<u32>) {
        out.clear();
        let mut left = 15 + rng.below(46) as usize;
        while left > 0 {
            let n = left.min(6 + rng.below(12) as usize);
            left -= n;
            if !out.is_empty() {
                out.push(' ');
            }
            let start = out.len();
            self.words_into(rng, n, out, used);
            let mut sentence = out.split_off(start);
            capitalize(&mut sentence);
            out.push_str(&sentence);
            out.push(if rng.below(5) == 0 { '?' } else { '.' });
        }
    }
}

pub(super) fn capitalize(s: &mut String) {
    if let Some(first) = s.chars().next() {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
}

pub(super) fn capitalized(s: &str) -> String {
    let mut s = s.to_owned();
    capitalize(&mut s);
    s
}
