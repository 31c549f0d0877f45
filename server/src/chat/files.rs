//! Who may upload to a room and who may download a file: the rules of `POST /api/files` and
//! `GET /api/files/<id>`, kept with the other chat rules.

use protocol::User;
use store::{FileRecord, RoomRecord};

use super::Chat;
use crate::error::{AppError, AppResult};

impl Chat {
    /// The room `user` may upload a file to: one they can see and are not muted in.
    ///
    /// # Errors
    /// `bad_request` (name), `not_found`, `forbidden` (muted), or a store failure.
    pub async fn upload_room(&self, user: &User, raw_room: &str) -> AppResult<RoomRecord> {
        let room = self.visible_room(user, raw_room).await?;
        self.check_not_muted(&room, user).await?;
        Ok(room)
    }

    /// A file `user` may download: an upload of theirs not sent yet, or a file of a message in
    /// an open room they can see. Anything else is `not_found`, as if it did not exist.
    ///
    /// # Errors
    /// `not_found`, or a store failure.
    pub async fn downloadable(&self, user: &User, id: &str) -> AppResult<FileRecord> {
        let not_found = || AppError::not_found("there is no such file");
        let id = protocol::validate::attachment_id(id).map_err(|_| not_found())?;
        let file = self.hub.store.file(id).await?.ok_or_else(not_found)?;
        if file.message_id.is_none() {
            return if file.user_id == user.id {
                Ok(file)
            } else {
                Err(not_found())
            };
        }
        match self.visible_room_by_id(user, file.room_id).await? {
            Some(_) => Ok(file),
            None => Err(not_found()),
        }
    }
}
