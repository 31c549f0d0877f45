//! The services, built once per process in [`crate::App::build`] and shared by every socket
//! handler, HTTP handler and background task: the hub's resources, the fan-out, and the
//! services over them (chat, accounts, notifications; the audit log is theirs).

use std::ops::Deref;
use std::sync::Arc;

use crate::accounts::Accounts;
use crate::audit::Audit;
use crate::chat::Chat;
use crate::fanout::Fanout;
use crate::highlight::Highlighter;
use crate::hub::Hub;
use crate::notify::Notifier;

/// Every service of this node. Cloning it costs one reference count.
#[derive(Clone)]
pub(crate) struct Services(Arc<Parts>);

/// What [`Services`] holds.
pub(crate) struct Parts {
    /// Shared resources: store, settings, live state, files.
    pub(crate) hub: Hub,
    /// How events reach sockets.
    pub(crate) fanout: Fanout,
    /// Rooms, presence, messages.
    pub(crate) chat: Chat,
    /// Sign-up, sign-in, sessions, roles, bans.
    pub(crate) accounts: Accounts,
    /// Stored notifications and their delivery.
    pub(crate) notifier: Notifier,
    /// Colours code blocks.
    pub(crate) highlighter: Highlighter,
}

impl Services {
    /// The services over `hub`, reaching sockets through `fanout` (bound to the Socket.IO
    /// server once it exists).
    #[must_use]
    pub(crate) fn new(hub: Hub, fanout: Fanout) -> Self {
        let audit = Audit::new(hub.clone(), fanout.clone());
        let notifier = Notifier::new(hub.clone(), fanout.clone());
        let accounts = Accounts::new(hub.clone(), fanout.clone(), audit.clone());
        let chat = Chat::new(
            hub.clone(),
            fanout.clone(),
            accounts.clone(),
            notifier.clone(),
            audit,
        );
        Self(Arc::new(Parts {
            hub,
            fanout,
            chat,
            accounts,
            notifier,
            highlighter: Highlighter::new(),
        }))
    }
}

#[cfg(test)]
impl Services {
    /// A handle that does not keep the services alive (to check they are freed).
    pub(crate) fn downgrade(&self) -> std::sync::Weak<Parts> {
        Arc::downgrade(&self.0)
    }
}

impl Deref for Services {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}
