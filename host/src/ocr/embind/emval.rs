//! embind's handle table for `emscripten::val` objects, with reference counts.

use super::*;

/// embind's handle table for `emscripten::val` objects. Handles 1..=4 are the
/// reserved constants (undefined, null, true, false).
#[derive(Default)]
pub(super) struct EmvalHeap {
    pub(super) slots: Vec<Option<(Value, u32)>>,
    pub(super) free: Vec<u32>,
}

pub(super) const FIRST_EMVAL_HANDLE: u32 = 5;
pub const EMVAL_UNDEFINED: u32 = 1;

impl EmvalHeap {
    pub(super) fn insert(&mut self, v: Value) -> u32 {
        if v == Value::Undefined {
            return EMVAL_UNDEFINED;
        }
        if let Some(h) = self.free.pop() {
            self.slots[(h - FIRST_EMVAL_HANDLE) as usize] = Some((v, 1));
            h
        } else {
            self.slots.push(Some((v, 1)));
            self.slots.len() as u32 - 1 + FIRST_EMVAL_HANDLE
        }
    }
    pub(super) fn slot(&mut self, h: u32) -> Option<&mut Option<(Value, u32)>> {
        h.checked_sub(FIRST_EMVAL_HANDLE).and_then(|i| self.slots.get_mut(i as usize))
    }
    pub(super) fn incref(&mut self, h: u32) {
        if let Some(Some((_, rc))) = self.slot(h) {
            *rc += 1;
        }
    }
    pub(super) fn decref(&mut self, h: u32) {
        let Some(slot) = self.slot(h) else { return };
        if let Some((_, rc)) = slot {
            *rc -= 1;
            if *rc == 0 {
                *slot = None;
                self.free.push(h);
            }
        }
    }
    /// Reads the value and drops the caller's reference (embind's `requireHandle` + `decref`).
    pub(super) fn take(&mut self, h: u32) -> Value {
        let v = self.slot(h).and_then(|s| s.as_ref().map(|(v, _)| v.clone())).unwrap_or(Value::Undefined);
        self.decref(h);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_start_after_the_reserved_constants_and_undefined_is_shared() {
        let mut heap = EmvalHeap::default();
        assert_eq!(heap.insert(Value::Undefined), EMVAL_UNDEFINED);
        assert_eq!(heap.insert(Value::Int(1)), FIRST_EMVAL_HANDLE);
        assert_eq!(heap.insert(Value::Int(2)), FIRST_EMVAL_HANDLE + 1);
    }

    #[test]
    fn refcounts_keep_a_value_until_the_last_reference_goes() {
        let mut heap = EmvalHeap::default();
        let h = heap.insert(Value::Str("x".into()));
        heap.incref(h); // 2 references
        heap.decref(h); // 1 left
        assert_eq!(heap.take(h), Value::Str("x".into())); // take drops the last one
        // Freed: reading it again gives undefined, and its handle is reused.
        assert_eq!(heap.take(h), Value::Undefined);
        assert_eq!(heap.insert(Value::Int(9)), h);
        assert_eq!(heap.take(h), Value::Int(9));
    }

    #[test]
    fn bad_handles_are_ignored_not_panics() {
        let mut heap = EmvalHeap::default();
        for h in [0, 1, 4, FIRST_EMVAL_HANDLE, u32::MAX] {
            heap.incref(h);
            heap.decref(h);
            assert_eq!(heap.take(h), Value::Undefined);
        }
        // A double decref does not free a slot twice (no handle handed out twice).
        let h = heap.insert(Value::Int(1));
        heap.decref(h);
        heap.decref(h);
        let (a, b) = (heap.insert(Value::Int(2)), heap.insert(Value::Int(3)));
        assert_ne!(a, b);
    }
}
