//! Windows of ids for lists read from a GIN index in id order.
//!
//! GIN yields matches in no order, so a list of the newest (or oldest) matches of a common word would read
//! every match. Rows therefore carry marker lexemes naming the blocks of ids they lie in (`~f<id >> 11>`,
//! `~m<id >> 14>`, `~c<id >> 17>`; tickets since migration 0002, customers and end users since 0011), which
//! user text can never produce (the parser splits at `~`). `doc @@ (terms && ('~f488' | '~m60'))` is
//! answered by the index alone, so a list walks from the end it reads first in windows of whole blocks,
//! sized by the density of matches seen, and reads only the rows of matches inside each window.
use std::ops::Range;

/// The smallest block of ids a marker lexeme names: 2^11 ids.
pub(crate) const FINEST_BLOCK: u32 = 11;
/// The first window, in finest blocks: a word in a quarter of all rows yields about 500 matches in it.
const FIRST_WINDOW_BLOCKS: i64 = 1;
/// How much wider a window may be than the one before.
const GROWTH: i64 = 4;
/// Marker lexeme prefixes by block size (bits), largest first.
const BLOCKS: [(u32, &str); 3] = [(17, "~c"), (14, "~m"), (FINEST_BLOCK, "~f")];

/// The marker lexemes covering ids `lo..hi` (both multiples of the finest block), ORed: the fewest blocks,
/// largest where they fit.
pub(crate) fn block_cover(mut lo: i64, hi: i64) -> String {
    let mut markers = Vec::new();
    while lo < hi {
        let (bits, prefix) = BLOCKS
            .iter()
            .copied()
            .find(|&(bits, _)| lo % (1 << bits) == 0 && lo + (1 << bits) <= hi)
            .unwrap_or(BLOCKS[BLOCKS.len() - 1]);
        markers.push(format!("'{prefix}{}'", lo >> bits));
        lo += 1 << bits;
    }
    markers.join(" | ")
}

/// How many ids the next window covers: enough for the `needed` matches still missing at the density seen
/// so far (`found` in `scanned` ids), with a margin, since every match in the window costs a row read; at
/// most `GROWTH` times the last window, since the newest rows need not be typical of older ones. Whole
/// finest blocks, at least one.
fn next_window(needed: i64, found: i64, scanned: i64, last: i64) -> i64 {
    let block = 1_i64 << FINEST_BLOCK;
    let seen = if found == 0 {
        i64::MAX
    } else {
        needed.saturating_mul(scanned) / found * 5 / 4
    };
    let wanted = seen.min(last.saturating_mul(GROWTH));
    ((wanted + block - 1) / block).max(1).saturating_mul(block)
}

/// A walk through the ids `start..end` in windows, from the highest id down (`descending`) or from the
/// lowest up.
#[derive(Debug)]
pub(crate) struct IdWindows {
    start: i64,
    end: i64,
    /// Where the walk began: the end it reads from.
    first: i64,
    descending: bool,
    /// The width of the next window, in ids.
    window: i64,
}

impl IdWindows {
    pub(crate) fn new(ids: Range<i64>, descending: bool) -> Self {
        Self {
            start: ids.start,
            end: ids.end,
            first: if descending { ids.end } else { ids.start },
            descending,
            window: FIRST_WINDOW_BLOCKS << FINEST_BLOCK,
        }
    }

    /// The next window, as the marker lexemes of its blocks and the ids of the walk it holds; `None` when
    /// the walk is done.
    pub(crate) fn next_window(&mut self) -> Option<(String, Range<i64>)> {
        if self.start >= self.end {
            return None;
        }
        let block = 1_i64 << FINEST_BLOCK;
        let (lo, hi) = if self.descending {
            let hi = (self.end + block - 1) / block * block;
            ((hi - self.window).max(0), hi)
        } else {
            let lo = self.start / block * block;
            (lo, lo.saturating_add(self.window))
        };
        let ids = lo.max(self.start)..hi.min(self.end);
        if self.descending {
            self.end = ids.start;
        } else {
            self.start = ids.end;
        }
        Some((block_cover(lo, hi), ids))
    }

    /// Sizes the next window for the `needed` matches still missing, `found` having been found so far.
    pub(crate) fn resize(&mut self, needed: i64, found: i64) {
        let scanned = if self.descending {
            self.first - self.end
        } else {
            self.start - self.first
        };
        self.window = next_window(needed, found, scanned.max(1), self.window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_cover_uses_the_largest_blocks_that_fit() {
        assert_eq!(block_cover(0, 2048), "'~f0'");
        assert_eq!(block_cover(2048, 6144), "'~f1' | '~f2'");
        assert_eq!(block_cover(0, 1 << 17), "'~c0'");
        assert_eq!(block_cover(1 << 17, 3 << 17), "'~c1' | '~c2'");
        assert_eq!(
            block_cover((1 << 14) - 2048, (1 << 17) + (1 << 14) + 2048),
            "'~f7' | '~m1' | '~m2' | '~m3' | '~m4' | '~m5' | '~m6' | '~m7' | '~m8' | '~f72'"
        );
        assert_eq!(block_cover(4096, 4096), "");
    }

    #[test]
    fn windows_follow_the_density_seen() {
        let block = 1 << FINEST_BLOCK;
        assert_eq!(
            next_window(500, 0, block, block),
            GROWTH * block,
            "nothing found: GROWTH times wider"
        );
        // 100 matches in 8 blocks: 400 more need about 32 blocks, plus a quarter.
        assert_eq!(next_window(400, 100, 8 * block, 16 * block), 40 * block);
        assert_eq!(
            next_window(400, 100, 8 * block, 4 * block),
            4 * GROWTH * block,
            "at most GROWTH times wider"
        );
        assert_eq!(next_window(1, 1000, block, block), block, "at least one block");
    }
    #[test]
    fn a_walk_covers_every_id_once_in_whole_blocks() {
        let block = 1_i64 << FINEST_BLOCK;
        for descending in [true, false] {
            let mut walk = IdWindows::new(100..9 * block + 7, descending);
            let mut seen = Vec::new();
            while let Some((cover, ids)) = walk.next_window() {
                assert!(!cover.is_empty());
                seen.push(ids);
                walk.resize(50, 0);
            }
            seen.sort_by_key(|r| r.start);
            assert_eq!(seen.first().map(|r| r.start), Some(100));
            assert_eq!(seen.last().map(|r| r.end), Some(9 * block + 7));
            assert!(seen.windows(2).all(|w| w[0].end == w[1].start), "{seen:?}");
        }
        let mut down = IdWindows::new(0..5 * block, true);
        assert_eq!(down.next_window(), Some(("'~f4'".to_owned(), 4 * block..5 * block)));
        down.resize(50, 0);
        assert_eq!(
            down.next_window(),
            Some(("'~f0' | '~f1' | '~f2' | '~f3'".to_owned(), 0..4 * block))
        );
        assert_eq!(down.next_window(), None);
    }
}
