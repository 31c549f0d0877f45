//! How people show (v1.25, v1.26), as this tab knows it: each person's picture and display
//! name, asked of the server
//! in batches the first time someone is on screen, kept up to date by `profile_updated`, and
//! asked again after a reconnect (an update may have been missed meanwhile). Sans-IO: the
//! driver asks [`Profiles::next_batch`] what to send and hands back the answers.

use std::collections::{BTreeSet, HashMap};

use protocol::Profile;
use protocol::validate::PROFILES_MAX;

/// The pictures known, and who is still to be asked about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles {
    /// Profiles by user id.
    known: HashMap<i64, Profile>,
    /// On screen and to be asked about (unknown, or known from before a reconnect).
    wanted: BTreeSet<i64>,
    /// Asked, no answer yet.
    asked: BTreeSet<i64>,
    /// Asked, and updated by `profile_updated` since: newer than the answer on its way.
    updated_since_asked: BTreeSet<i64>,
}

impl Profiles {
    /// The picture of `id`, when known to be one.
    #[must_use]
    pub fn picture(&self, id: i64) -> Option<&str> {
        self.known.get(&id).and_then(|p| p.avatar.as_deref())
    }

    /// The display name of `id`, when known to have one.
    #[must_use]
    pub fn name(&self, id: i64) -> Option<&str> {
        self.known.get(&id).and_then(|p| p.name.as_deref())
    }

    /// `id` is on screen: asked about unless known or asked already. Returns whether a batch
    /// is now waiting to go.
    pub fn want(&mut self, id: i64) -> bool {
        if id > 0 && !self.known.contains_key(&id) && !self.asked.contains(&id) {
            self.wanted.insert(id);
        }
        !self.wanted.is_empty()
    }

    /// The next ids to ask about (at most [`PROFILES_MAX`]), now counted as asked; empty
    /// when nobody waits.
    pub fn next_batch(&mut self) -> Vec<i64> {
        let batch: Vec<i64> = self.wanted.iter().copied().take(PROFILES_MAX).collect();
        for id in &batch {
            self.wanted.remove(id);
            self.asked.insert(*id);
        }
        batch
    }

    /// The answer about `asked`: their profiles; an id left out is no account (any more).
    /// What an update told meanwhile is newer than the answer, and stays.
    pub fn answered(&mut self, asked: &[i64], profiles: Vec<Profile>) {
        let mut answer: HashMap<i64, Profile> = profiles.into_iter().map(|p| (p.id, p)).collect();
        for id in asked {
            self.asked.remove(id);
            let profile = answer.remove(id).unwrap_or(Profile {
                id: *id,
                ..Profile::default()
            });
            if !self.updated_since_asked.remove(id) {
                self.wanted.remove(id);
                self.known.insert(*id, profile);
            }
        }
    }

    /// No answer about `asked` (the connection went, or a refusal): asked again with the
    /// next batch.
    pub fn unanswered(&mut self, asked: &[i64]) {
        for id in asked {
            self.updated_since_asked.remove(id);
            if self.asked.remove(id) {
                self.wanted.insert(*id);
            }
        }
    }

    /// A profile as the server says it is now (`profile_updated`, or the answer to our own
    /// change).
    pub fn learn(&mut self, profile: Profile) {
        self.wanted.remove(&profile.id);
        if self.asked.contains(&profile.id) {
            self.updated_since_asked.insert(profile.id);
        }
        self.known.insert(profile.id, profile);
    }

    /// A new connection: everyone known is asked about again (what is shown stays meanwhile),
    /// and what was in flight on the old one too. Returns whether a batch waits.
    pub fn reconnected(&mut self) -> bool {
        self.wanted.extend(self.known.keys().copied());
        self.wanted.append(&mut self.asked);
        self.updated_since_asked.clear();
        !self.wanted.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: i64, avatar: Option<&str>) -> Profile {
        Profile {
            id,
            avatar: avatar.map(str::to_owned),
            name: None,
        }
    }

    #[test]
    fn people_on_screen_are_asked_about_once_in_batches() {
        let mut profiles = Profiles::default();
        assert!(profiles.want(1));
        profiles.want(2);
        profiles.want(1);
        assert!(!Profiles::default().want(0), "no id: nobody to ask about");
        assert_eq!(profiles.next_batch(), [1, 2]);
        // Asked already: not again, and nothing waits.
        assert!(!profiles.want(2));
        assert!(profiles.next_batch().is_empty());
        profiles.answered(&[1, 2], vec![profile(1, Some("/api/avatars/a"))]);
        assert_eq!(profiles.picture(1), Some("/api/avatars/a"));
        assert_eq!(profiles.name(1), None);
        profiles.learn(Profile {
            name: Some("Ana García".into()),
            ..profile(1, Some("/api/avatars/a"))
        });
        assert_eq!(profiles.name(1), Some("Ana García"));
        // 2 is no account: known to have no picture, not asked again.
        assert_eq!(profiles.picture(2), None);
        assert!(!profiles.want(2));

        let mut many = Profiles::default();
        for id in 1..=250 {
            many.want(id);
        }
        assert_eq!(many.next_batch().len(), PROFILES_MAX);
        assert_eq!(many.next_batch().len(), PROFILES_MAX);
        assert_eq!(many.next_batch(), (201..=250).collect::<Vec<_>>());
    }

    #[test]
    fn updates_win_and_a_reconnect_asks_again_keeping_what_shows() {
        let mut profiles = Profiles::default();
        profiles.want(1);
        profiles.want(2);
        let batch = profiles.next_batch();
        // An update arrives while the answer, read before it, is on its way: the update wins.
        profiles.learn(profile(1, Some("/api/avatars/b")));
        profiles.answered(
            &batch,
            vec![profile(1, Some("/api/avatars/old")), profile(2, None)],
        );
        assert_eq!(profiles.picture(1), Some("/api/avatars/b"));
        // The next answer about 1 counts again.
        profiles.want(2);
        assert!(profiles.reconnected());
        let batch = profiles.next_batch();
        assert_eq!(batch, [1, 2]);
        profiles.answered(&batch, vec![profile(1, None)]);
        assert_eq!(profiles.picture(1), None);
        profiles.learn(profile(3, Some("/api/avatars/c")));

        // Lost with the connection: asked again.
        profiles.want(4);
        let lost = profiles.next_batch();
        profiles.unanswered(&lost);
        assert_eq!(profiles.next_batch(), [4]);
        assert!(profiles.reconnected());
        assert_eq!(profiles.picture(3), Some("/api/avatars/c"));
        assert_eq!(profiles.next_batch(), [1, 2, 3, 4]);
        // Another reconnect before the answer: those in flight are asked again too.
        assert!(profiles.reconnected());
        assert_eq!(profiles.next_batch(), [1, 2, 3, 4]);
    }
}
