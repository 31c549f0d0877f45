//! The moderation log: every moderation and admin action is recorded and shown at once to
//! every admin watching `/admin`.

use protocol::AuditEntry;
use store::NewAudit;

use crate::clock::now_ms;
use crate::fanout::{Fanout, broadcast};
use crate::hub::Hub;

/// The audit log service. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Audit {
    hub: Hub,
    fanout: Fanout,
}

impl Audit {
    /// The service over `hub`, showing entries through `fanout`.
    #[must_use]
    pub(crate) fn new(hub: Hub, fanout: Fanout) -> Self {
        Self { hub, fanout }
    }

    /// Records an action and shows it to every admin watching. A failure to record is logged:
    /// the action itself has happened and is not undone.
    pub(crate) async fn record(&self, entry: NewAudit<'_>) {
        match self.hub.store.record_audit(&entry, now_ms()).await {
            Ok(recorded) => {
                if let Some(admins) = self.fanout.admin() {
                    broadcast::<AuditEntry>(admins, &recorded).await;
                }
            }
            Err(error) => {
                tracing::error!(%error, action = %entry.action, "recording a moderation action");
            }
        }
    }
}
