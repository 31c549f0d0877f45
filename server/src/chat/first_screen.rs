//! The first screen of `/chat` for a page request (see `app::first_screen`): the person's
//! rooms, and the last page of the room the page will show.

use app::first_screen::FirstScreen;
use app::model::Rooms;
use app::offline::{KeptRoom, Snapshot};
use protocol::{HistoryReq, SavedRoom, User};

use super::Chat;
use crate::clock::now_ms;
use crate::error::AppResult;

/// Messages drawn for the room on screen: a join's page (the history default).
const FIRST_PAGE: i64 = protocol::validate::HISTORY_DEFAULT;

impl Chat {
    /// `user`'s rooms and the room to show with its last page: the one the address `asked`
    /// for, else the one `remembered` as last on screen in this browser, else the list's first
    /// — as the page itself chooses once connected. A room asked for that is not in the list
    /// (the page joins it once connected) or that cannot be read is not drawn.
    ///
    /// # Errors
    /// A failure of the store or the live state.
    pub async fn first_screen(
        &self,
        user: &User,
        asked: Option<&str>,
        remembered: Option<&str>,
    ) -> AppResult<FirstScreen> {
        let saved = self.saved_rooms(user).await?;
        let listed = |name: &str| {
            let key = Rooms::key(name);
            saved
                .iter()
                .find(|s| Rooms::key(&s.room.name) == key)
                .map(|s| s.room.name.clone())
        };
        let show = match asked {
            Some(name) => listed(name),
            None => remembered
                .and_then(listed)
                .or_else(|| saved.first().map(|s| s.room.name.clone())),
        };
        let mut page = match &show {
            Some(name) => {
                let req = HistoryReq {
                    room: name.clone(),
                    main: true,
                    limit: Some(FIRST_PAGE),
                    ..HistoryReq::default()
                };
                match self.history(user, &req).await {
                    Ok(messages) => Some(messages),
                    Err(error) => {
                        tracing::debug!(%error, room = %name, "no first page for the room");
                        None
                    }
                }
            }
            None => None,
        };
        let show = show.filter(|_| page.is_some());
        let rooms = saved
            .into_iter()
            .map(|saved: SavedRoom| {
                let drawn = show.as_deref() == Some(saved.room.name.as_str());
                let messages = if drawn {
                    page.take().unwrap_or_default()
                } else {
                    Vec::new()
                };
                KeptRoom {
                    more_before: messages.len() as i64 >= FIRST_PAGE,
                    saved,
                    messages,
                }
            })
            .collect();
        let blocked = self.blocks(user).await?.users;
        Ok(FirstScreen {
            rooms: Snapshot {
                rooms,
                kept_ts: now_ms(),
            },
            show,
            blocked,
        })
    }
}
