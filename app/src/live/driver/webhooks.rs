//! A room's incoming webhooks (v1.19), for its moderators: list, make, delete. Each answer goes
//! to the dialog that asked; nothing here is kept in the chat's state.

use protocol::{CreateWebhookReq, CreateWebhookRes, DeleteWebhookReq, Webhook, WebhooksReq};

use super::*;

impl Chat {
    /// The webhooks of `room`, the newest first.
    pub fn webhooks(
        &self,
        room: String,
        answer: impl FnOnce(Result<Vec<Webhook>, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let result = socket.request(&WebhooksReq { room }).await;
            answer(
                result
                    .map(|res| res.webhooks)
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// Makes a webhook of `room` posting as `name`: the answer holds its secret address.
    pub fn create_webhook(
        &self,
        room: String,
        name: String,
        answer: impl FnOnce(Result<CreateWebhookRes, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let result = socket.request(&CreateWebhookReq { room, name }).await;
            answer(result.map_err(|error| describe(&error)));
        });
    }

    /// Deletes webhook `id`.
    pub fn delete_webhook(&self, id: String, answer: impl FnOnce(Result<(), String>) + 'static) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            let result = socket.request(&DeleteWebhookReq { id }).await;
            answer(result.map(|_| ()).map_err(|error| describe(&error)));
        });
    }
}
