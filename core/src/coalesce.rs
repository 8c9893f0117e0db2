//! Batching of concurrent calls on a single-threaded event loop (a Durable
//! Object): items that arrive while a flush is in flight wait and go out
//! together in the next one, and each caller gets its own item's answer.
//! The Account DO sends its submissions' queue entries this way, so the
//! Queue DO sees one call for many submissions under load.
//!
//! Not `Sync`: it relies on the object running one event at a time between
//! awaits, as Durable Objects (and single-threaded executors) do.

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use std::cell::{Cell, RefCell};
use std::future::Future;

/// The flush that carried an item ended without answering it: the flush
/// returned fewer answers than items, or was dropped mid-call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dropped;

/// Items of type `T` waiting to be flushed, each with its caller's answer slot.
pub struct Coalescer<T, A> {
    pending: RefCell<Vec<(T, oneshot::Sender<A>)>>,
    flushing: Cell<bool>,
    /// Callers waiting for the flush in flight to end (their items came too late for it).
    turns: RefCell<Vec<oneshot::Sender<()>>>,
}

impl<T, A> Default for Coalescer<T, A> {
    fn default() -> Self {
        Coalescer { pending: RefCell::new(Vec::new()), flushing: Cell::new(false), turns: RefCell::new(Vec::new()) }
    }
}

impl<T, A> Coalescer<T, A> {
    /// An empty coalescer, no flush in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item` and waits for its answer: this caller flushes (with every
    /// item pending then) unless a flush is in flight, in which case it waits
    /// for that flush's end and tries again. `flush` gets the batch and
    /// answers one `A` per item, in order.
    pub async fn submit<F, Fut>(&self, item: T, flush: F) -> Result<A, Dropped>
    where
        F: Fn(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<A>>,
    {
        let (tx, mut rx) = oneshot::channel();
        self.pending.borrow_mut().push((item, tx));
        loop {
            if !self.flushing.get() {
                self.flush_pending(&flush).await;
            }
            match rx.try_recv() {
                Ok(Some(answer)) => return Ok(answer),
                Ok(None) => {}
                Err(_) => return Err(Dropped),
            }
            // Another caller's flush is in flight: wait for the answer, or
            // for that flush to end with this item still pending.
            let (turn_tx, turn_rx) = oneshot::channel();
            self.turns.borrow_mut().push(turn_tx);
            if let Either::Left((answer, _)) = select(&mut rx, turn_rx).await {
                return answer.map_err(|_| Dropped);
            }
        }
    }

    /// Removes the pending items `give_up` selects (their callers get [`Dropped`]).
    pub fn withdraw(&self, give_up: impl Fn(&T) -> bool) {
        self.pending.borrow_mut().retain(|(item, _)| !give_up(item));
    }

    /// Items waiting for a flush.
    pub fn pending(&self) -> usize {
        self.pending.borrow().len()
    }

    /// Sends everything pending in one flush and answers each item; then
    /// wakes the callers whose items arrived meanwhile, so one of them sends
    /// the next flush (also when this future is dropped mid-flush: the
    /// guard's `drop`).
    async fn flush_pending<F, Fut>(&self, flush: &F)
    where
        F: Fn(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<A>>,
    {
        struct Flushing<'a, T, A>(&'a Coalescer<T, A>);
        impl<T, A> Drop for Flushing<'_, T, A> {
            fn drop(&mut self) {
                self.0.flushing.set(false);
                for turn in self.0.turns.borrow_mut().drain(..) {
                    let _ = turn.send(());
                }
            }
        }
        let batch: Vec<_> = self.pending.borrow_mut().drain(..).collect();
        if batch.is_empty() {
            return;
        }
        self.flushing.set(true);
        let _guard = Flushing(self);
        let (items, waiting): (Vec<T>, Vec<_>) = batch.into_iter().unzip();
        let answers = flush(items).await;
        // Callers beyond the answers given get `Dropped` (their sender is dropped).
        for (tx, answer) in waiting.into_iter().zip(answers) {
            let _ = tx.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::LocalPool;
    use futures_util::FutureExt;
    use futures_util::task::LocalSpawnExt;
    use std::rc::Rc;

    /// A flush that records its batches and waits until `gate` opens.
    struct Recorder {
        batches: RefCell<Vec<Vec<u32>>>,
        gates: RefCell<Vec<oneshot::Sender<()>>>,
    }

    impl Recorder {
        fn new() -> Rc<Self> {
            Rc::new(Recorder { batches: RefCell::new(Vec::new()), gates: RefCell::new(Vec::new()) })
        }

        async fn flush(&self, items: Vec<u32>) -> Vec<u32> {
            self.batches.borrow_mut().push(items.clone());
            let (tx, rx) = oneshot::channel();
            self.gates.borrow_mut().push(tx);
            let _ = rx.await;
            items.iter().map(|i| i * 10).collect()
        }

        fn open_gates(&self) {
            for g in self.gates.borrow_mut().drain(..) {
                let _ = g.send(());
            }
        }
    }

    #[test]
    fn items_arriving_during_a_flush_go_together_in_the_next() {
        let mut pool = LocalPool::new();
        let c: Rc<Coalescer<u32, u32>> = Rc::new(Coalescer::new());
        let rec = Recorder::new();
        let answers = Rc::new(RefCell::new(Vec::new()));
        for n in 1..=4 {
            let (c, rec, answers) = (c.clone(), rec.clone(), answers.clone());
            pool.spawner()
                .spawn_local(async move {
                    let a = c.submit(n, |items| rec.flush(items)).await;
                    answers.borrow_mut().push((n, a));
                })
                .unwrap();
        }
        pool.run_until_stalled();
        // The first caller flushed alone; the other three wait for it.
        assert_eq!(*rec.batches.borrow(), vec![vec![1]]);
        assert_eq!(c.pending(), 3);
        rec.open_gates();
        pool.run_until_stalled();
        assert_eq!(*rec.batches.borrow(), vec![vec![1], vec![2, 3, 4]]);
        rec.open_gates();
        pool.run_until_stalled();
        let mut got = answers.borrow().clone();
        got.sort();
        assert_eq!(got, vec![(1, Ok(10)), (2, Ok(20)), (3, Ok(30)), (4, Ok(40))]);
    }

    #[test]
    fn a_short_answer_or_a_withdrawn_item_is_dropped_not_hung() {
        let mut pool = LocalPool::new();
        let c: Coalescer<u32, u32> = Coalescer::new();
        let short = pool.run_until(c.submit(7, |_items| async { Vec::new() }));
        assert_eq!(short, Err(Dropped));
        let c = Rc::new(c);
        let rec = Recorder::new();
        let out = Rc::new(RefCell::new(None));
        {
            let (c, rec) = (c.clone(), rec.clone());
            pool.spawner()
                .spawn_local(async move {
                    c.submit(1, |i| rec.flush(i)).await.unwrap();
                })
                .unwrap();
        }
        {
            let (c, rec, out) = (c.clone(), rec.clone(), out.clone());
            pool.spawner().spawn_local(async move { *out.borrow_mut() = Some(c.submit(2, |i| rec.flush(i)).await) }).unwrap();
        }
        pool.run_until_stalled();
        c.withdraw(|&n| n == 2);
        rec.open_gates();
        pool.run_until_stalled();
        assert_eq!(*out.borrow(), Some(Err(Dropped)));
        assert_eq!(*rec.batches.borrow(), vec![vec![1]]);
    }

    #[test]
    fn a_flush_dropped_mid_call_hands_the_turn_on() {
        let mut pool = LocalPool::new();
        let c: Rc<Coalescer<u32, u32>> = Rc::new(Coalescer::new());
        let rec = Recorder::new();
        // The first caller's future is dropped while its flush is in flight.
        let mut first = Box::pin(c.submit(1, |i| rec.flush(i)));
        assert!(first.as_mut().now_or_never().is_none());
        let second = {
            let (c, rec) = (c.clone(), rec.clone());
            let out = Rc::new(RefCell::new(None));
            let slot = out.clone();
            pool.spawner().spawn_local(async move { *slot.borrow_mut() = Some(c.submit(2, |i| rec.flush(i)).await) }).unwrap();
            out
        };
        pool.run_until_stalled();
        drop(first);
        pool.run_until_stalled();
        // The waiting caller took over and flushed its own item.
        assert_eq!(*rec.batches.borrow(), vec![vec![1], vec![2]]);
        rec.open_gates();
        pool.run_until_stalled();
        assert_eq!(*second.borrow(), Some(Ok(20)));
    }
}
