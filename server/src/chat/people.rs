//! The people directory (v1.12): everyone on this server, by name, with whether they are
//! online (and, v1.21, away: online without acting for a while), so anyone can be reached (a
//! DM) whether or not they share a room with you.

use protocol::{PeopleReq, PeopleRes, Person, validate};

use super::{Actor, Chat};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;

/// Longest `after` of a `find_people` request, in bytes (a name's key is shorter).
const AFTER_MAX: usize = 256;

impl Chat {
    /// A page of the directory.
    ///
    /// # Errors
    /// `bad_request` (`q`, `after`, `limit`), or a failure.
    pub async fn people(&self, req: &PeopleReq) -> AppResult<PeopleRes> {
        let q = validate::people_query(req.q.as_deref())?;
        let limit = validate::history_limit(req.limit)?;
        if req
            .after
            .as_ref()
            .is_some_and(|after| after.len() > AFTER_MAX)
        {
            return Err(AppError::bad_request("after is the last name of a page"));
        }
        let contains = q.as_deref().map(store::name_key);
        let after = req.after.as_deref().map(store::name_key);
        let mut users = self
            .hub
            .store
            .people(contains.as_deref(), after.as_deref(), limit + 1)
            .await?;
        let page = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = users.len() > page;
        users.truncate(page);
        let ids: Vec<i64> = users.iter().map(|(record, _)| record.user.id).collect();
        let online = self.hub.live.online(&ids).await?;
        let present: Vec<i64> = ids.into_iter().filter(|id| online.contains(id)).collect();
        let last_active = self.hub.live.last_active(&present).await?;
        let away_after =
            i64::try_from(self.hub.config.away_after().as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        Ok(PeopleRes {
            people: users
                .into_iter()
                .map(|(record, status)| {
                    let user = record.user;
                    let online = online.contains(&user.id);
                    Person {
                        away: online
                            && is_away(last_active.get(&user.id).copied(), now, away_after),
                        online,
                        user,
                        status,
                        bot: record.bot,
                    }
                })
                .collect(),
            more,
        })
    }

    /// The person behind `actor` acted (v1.21): not away, on every node.
    ///
    /// # Errors
    /// A failure of the live state.
    pub async fn activity(&self, actor: &Actor) -> AppResult<()> {
        self.hub.live.touch(actor.user.id, now_ms()).await?;
        Ok(())
    }

    /// Sets the actor's status line (v1.13); empty clears it.
    ///
    /// # Errors
    /// `too_long`, `bad_request`, `rate_limited`, or a failure.
    pub async fn set_status(&self, actor: &Actor, raw: &str) -> AppResult<()> {
        let status = validate::status(raw)?;
        self.charge(actor, Action::Join).await?;
        self.hub
            .store
            .set_status(actor.user.id, status.as_deref())
            .await?;
        Ok(())
    }
}

/// Whether someone online who last acted at `last_active` is away at `now`. `None`: online
/// without the app's `/chat` connection (a program on `/notifications` only, say), or through
/// a node older than v1.21: nothing says they are idle.
fn is_away(last_active: Option<i64>, now: i64, away_after: i64) -> bool {
    last_active.is_some_and(|at| now.saturating_sub(at) >= away_after)
}

#[cfg(test)]
mod tests {
    use super::is_away;

    #[test]
    fn away_is_a_while_without_acting() {
        assert!(!is_away(Some(1_000), 1_000, 600));
        assert!(!is_away(Some(1_000), 1_599, 600));
        assert!(is_away(Some(1_000), 1_600, 600));
        assert!(
            !is_away(None, 1_000, 600),
            "no /chat connection: unknown, not away"
        );
        // A clock that went back a little is not away.
        assert!(!is_away(Some(2_000), 1_000, 600));
    }
}
