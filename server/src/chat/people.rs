//! The people directory (v1.12): everyone on this server, by name, with whether they are
//! online, so anyone can be reached (a DM) whether or not they share a room with you.

use protocol::{PeopleReq, PeopleRes, Person, validate};

use super::{Actor, Chat};
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
        let ids: Vec<i64> = users.iter().map(|(user, _)| user.id).collect();
        let online = self.hub.live.online(&ids).await?;
        Ok(PeopleRes {
            people: users
                .into_iter()
                .map(|(user, status)| Person {
                    online: online.contains(&user.id),
                    user,
                    status,
                })
                .collect(),
            more,
        })
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
