//! The connection pool, timed: every statement run on it directly is reported to the store's
//! [`Observer`](crate::Observer) (see [`crate::observe`]). Everything else of sqlx's pool
//! (transactions, `acquire`, `close`) is reached through `Deref`.

use std::ops::Deref;

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{Any, AnyPool, Database, Describe, Either, Execute, Executor};

use crate::observe::Watch;

/// sqlx's pool plus the observer its statements are reported to. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    inner: AnyPool,
    pub(crate) watch: Watch,
}

impl Pool {
    /// `inner`, reporting to `watch`.
    pub(crate) fn new(inner: AnyPool, watch: Watch) -> Self {
        Self { inner, watch }
    }
}

impl Deref for Pool {
    type Target = AnyPool;

    fn deref(&self) -> &AnyPool {
        &self.inner
    }
}

impl<'p> Executor<'p> for &'_ Pool {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        // Reported when the stream is dropped: after its last row, or when given up.
        let timer = self.watch.statement();
        (&self.inner)
            .fetch_many(query)
            .map(move |item| {
                let _running = &timer;
                item
            })
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Any>,
    {
        let timer = self.watch.statement();
        let answer = (&self.inner).fetch_optional(query);
        Box::pin(async move {
            let row = answer.await;
            drop(timer);
            row
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [<Any as Database>::TypeInfo],
    ) -> BoxFuture<'e, Result<<Any as Database>::Statement<'q>, sqlx::Error>> {
        (&self.inner).prepare_with(sql, parameters)
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>> {
        (&self.inner).describe(sql)
    }
}
