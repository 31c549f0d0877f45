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
        self.ask(WebhooksReq { room }, |result| {
            answer(result.map(|res| res.webhooks));
        });
    }

    /// Makes a webhook of `room` posting as `name`: the answer holds its secret address.
    pub fn create_webhook(
        &self,
        room: String,
        name: String,
        answer: impl FnOnce(Result<CreateWebhookRes, String>) + 'static,
    ) {
        self.ask(CreateWebhookReq { room, name }, answer);
    }

    /// Deletes webhook `id`.
    pub fn delete_webhook(&self, id: String, answer: impl FnOnce(Result<(), String>) + 'static) {
        self.ask(DeleteWebhookReq { id }, |result| answer(result.map(|_| ())));
    }
}
