//! Jobs to the Queue DO, through folio-core's [`Coalescer`]: submissions that
//! arrive while a call to the queue is in flight wait and go together in the
//! next call, so the queue sees one call for many submissions under load,
//! and none is answered before its job is queued.

use super::*;
use folio_core::coalesce::Dropped;

impl Account {
    /// Puts a job in the queue and answers its position, or gives up after
    /// [`QUEUE_WAIT_MS`] (the job is withdrawn if it was still waiting; if it
    /// was sent after all, its first lease finds no record and drops it).
    pub(super) async fn enqueue(&self, job: NewJob, default_processing_ms: u64) -> ApiResult<Position> {
        let doc_id = job.doc_id.clone();
        let shard = queue_shard_for(&job.org_id);
        let flush = |jobs: Vec<NewJob>| self.send_jobs(shard, jobs, default_processing_ms);
        let queued = self.queue_entries.submit(job, flush);
        match select(Box::pin(queued), Delay::from(Duration::from_millis(QUEUE_WAIT_MS))).await {
            Either::Left((Ok(answer), _)) => answer,
            Either::Left((Err(Dropped), _)) => Err(fail(ErrorCode::InternalError, "Internal error (queue call dropped)")),
            Either::Right(_) => {
                self.queue_entries.withdraw(|j| j.doc_id == doc_id);
                worker::console_error!("queue place for {doc_id}: no answer in {QUEUE_WAIT_MS} ms");
                Err(fail(ErrorCode::InternalError, "Internal error (queue did not answer); please retry"))
            }
        }
    }

    /// One call to the Queue DO with a batch; one answer per job, in order.
    async fn send_jobs(&self, shard: &str, jobs: Vec<NewJob>, default_processing_ms: u64) -> Vec<ApiResult<Position>> {
        let n = jobs.len();
        let answer = match QueueClient::named(&self.env, shard) {
            Ok(queue) => queue.call(&EnqueueArgs { jobs, default_processing_ms }).await,
            Err(e) => Err(e.into()),
        };
        match answer {
            Ok(positions) if positions.len() == n => positions.into_iter().map(Ok).collect(),
            other => {
                let error = match other {
                    Err(f) => f.error,
                    Ok(_) => folio_core::ApiError::new(ErrorCode::InternalError, "Internal error (queue answer)"),
                };
                (0..n).map(|_| Err(Failure { error: error.clone(), retry_after: None })).collect()
            }
        }
    }
}
