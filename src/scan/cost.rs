//! What the detectors read, in bytes: the blob for the keyword prefilter,
//! each window a rule's pattern runs on, each span a generic check searches
//! and each decoded view. A scan's sum (`searched_bytes` in its JSON
//! summary) stays a small multiple of the bytes it scanned on any input;
//! work that grows faster than the input (a whole line copied per value on a
//! minified line) shows there as a ratio, the same on every machine, where
//! time would only show noise.
//!
//! Counted per thread, so the hot paths touch no shared cache line; the
//! pipeline takes each thread's count after every blob.

use std::cell::Cell;

thread_local! {
    static SEARCHED: Cell<u64> = const { Cell::new(0) };
}

/// Counts `bytes` read by a detector on this thread.
#[inline]
pub fn add(bytes: usize) {
    SEARCHED.with(|c| c.set(c.get().wrapping_add(bytes as u64)));
}

/// This thread's count since the last call, reset to zero.
pub fn take() -> u64 {
    SEARCHED.with(|c| c.replace(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_per_thread_and_take_resets() {
        super::take();
        super::add(10);
        super::add(5);
        std::thread::spawn(|| super::add(1000)).join().unwrap();
        assert_eq!(super::take(), 15);
        assert_eq!(super::take(), 0);
    }
}
