//! The driver of [`crate::profiles`]: asks the server about the people on screen, a batch at
//! a time, and follows `profile_updated`.

use protocol::{Profile, ProfilesReq, SetDisplayNameReq};

use super::*;

impl Chat {
    /// Someone is on screen: their picture is asked for if not known (in a batch with the
    /// others drawn at the same moment).
    pub fn want_profile(&self, id: i64) {
        let waiting = self
            .profiles
            .try_update_untracked(|profiles| profiles.want(id))
            .unwrap_or(false);
        if waiting {
            self.ask_profiles_soon();
        }
    }

    /// After the current render: sends what waits (once, however many asked meanwhile).
    fn ask_profiles_soon(&self) {
        if self.profiles_soon.get_value() || self.socket().is_none() {
            return;
        }
        self.profiles_soon.set_value(true);
        let chat = *self;
        spawn_local(async move {
            chat.profiles_soon.set_value(false);
            chat.ask_profiles();
        });
    }

    /// Sends every batch that waits; the answers update the pictures shown.
    fn ask_profiles(&self) {
        let Some(socket) = self.socket() else { return };
        loop {
            let Some(batch) = self
                .profiles
                .try_update_untracked(crate::profiles::Profiles::next_batch)
            else {
                return;
            };
            if batch.is_empty() {
                return;
            }
            let (chat, socket) = (*self, socket.clone());
            spawn_local(async move {
                let request = ProfilesReq { ids: batch.clone() };
                match socket.request(&request).await {
                    Ok(answer) => chat
                        .profiles
                        .update(|profiles| profiles.answered(&batch, answer.profiles)),
                    Err(_) => chat
                        .profiles
                        .update_untracked(|profiles| profiles.unanswered(&batch)),
                }
            });
        }
    }

    /// A new connection: everyone on screen is asked about again.
    pub(super) fn refresh_profiles(&self) {
        let waiting = self
            .profiles
            .try_update_untracked(crate::profiles::Profiles::reconnected)
            .unwrap_or(false);
        if waiting {
            self.ask_profiles_soon();
        }
    }

    /// The display name the person goes by (empty: none, their username shows); `done` hears
    /// the profile as it is now, or what went wrong.
    pub fn set_display_name(
        &self,
        name: String,
        done: impl FnOnce(Result<Profile, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            done(Err(OFFLINE.into()));
            return;
        };
        let chat = *self;
        spawn_local(async move {
            let answer = socket
                .request(&SetDisplayNameReq { name })
                .await
                .map_err(|error| describe(&error));
            if let Ok(profile) = &answer {
                chat.learn_profile(profile.clone());
            }
            done(answer);
        });
    }

    /// The names people go by (display names where known, usernames otherwise), for
    /// `(id, username)` pairs.
    pub fn names_of(&self, people: &[(i64, String)]) -> Vec<String> {
        self.profiles.with(|profiles| {
            people
                .iter()
                .map(|(id, username)| {
                    profiles
                        .name(*id)
                        .map_or_else(|| username.clone(), str::to_owned)
                })
                .collect()
        })
    }

    /// Someone changed their picture or name (`profile_updated`, or our own change's answer).
    pub fn learn_profile(&self, profile: Profile) {
        self.profiles.update(|profiles| profiles.learn(profile));
    }
}
