//! Live state in Redis, shared by every node of a cluster.
//!
//! Keys (all under a prefix, `tertulia` by default):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `:users` | hash | user id → the user as JSON |
//! | `:sock:<sid>` | hash | a `/chat` socket's user and node |
//! | `:sock:<sid>:rooms` | set | the rooms that socket joined |
//! | `:room:<id>` | hash | user id → that user's sockets in the room (presence) |
//! | `:online` / `:sockets` | hash / counter | `/chat` sockets per user / in all |
//! | `:node:<node>:socks` | set | the `/chat` sockets of a node (to clean up after it) |
//! | `:census:user` / `:census:addr` | hash | sockets (all namespaces) per user / address |
//! | `:node:<node>:census` | hash | a node's share of the census |
//! | `:nodes` | sorted set | node → its last heartbeat (ms) |
//! | `:active` | hash | user id → when they last acted (ms; only moves forward), while they have a `/chat` socket |
//! | `:typing:<room>:<user>` | string | typing generation, and `:<root>` when in a thread; expires after twice the typing TTL |
//! | `:rl:<action>:<subject>` | hash | a token bucket |
//! | `:lease:<name>` | string | which node runs a cluster-wide task |
//!
//! Every change that reads and writes is one Lua script, so nodes never interleave halfway.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use protocol::User;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::limits::{Action, Quota, Subject};
use super::typing::{Place, Started};
use super::{Change, Departure, Full, LiveResult};
use crate::client_addr::AddrKey;
use crate::metrics::{Metrics, TimedRedis};

/// What cleaning up after a dead node found.
#[derive(Debug)]
pub struct Reaped {
    /// The node's last heartbeat (ms, Redis time).
    pub last_seen_ms: i64,
    /// Users no longer present in a room.
    pub departures: Vec<Departure>,
}

/// The Redis backend.
#[derive(Clone)]
pub struct RedisLive {
    conn: TimedRedis<ConnectionManager>,
    prefix: String,
    node: String,
    scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisLive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLive")
            .field("prefix", &self.prefix)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

struct Scripts {
    connect: Script,
    join: Script,
    leave: Script,
    disconnect: Script,
    reap: Script,
    seat: Script,
    release: Script,
    bucket: Script,
    typing_expire: Script,
    typing_stop_at: Script,
    lease: Script,
    heartbeat: Script,
    touch: Script,
}

/// Decrements a hash field, deleting it at zero (shared by several scripts).
const DEC: &str = r"
local function dec(key, field, by)
  local c = redis.call('HINCRBY', key, field, -by)
  if c <= 0 then redis.call('HDEL', key, field) end
  return c
end
";

/// Removes one `/chat` socket everywhere; returns `{uid, room, count, present, ...}`.
const DROP_SOCKET: &str = r"
local function drop_socket(p, sid)
  local sock = p .. ':sock:' .. sid
  local uid = redis.call('HGET', sock, 'user')
  if not uid then return {} end
  local node = redis.call('HGET', sock, 'node')
  local out = {uid}
  for _, room in ipairs(redis.call('SMEMBERS', sock .. ':rooms')) do
    local key = p .. ':room:' .. room
    local c = dec(key, uid, 1)
    table.insert(out, room)
    table.insert(out, c)
    table.insert(out, redis.call('HLEN', key))
  end
  redis.call('DEL', sock, sock .. ':rooms')
  redis.call('SREM', p .. ':node:' .. node .. ':socks', sid)
  if dec(p .. ':online', uid, 1) <= 0 then redis.call('HDEL', p .. ':active', uid) end
  if redis.call('DECR', p .. ':sockets') < 0 then redis.call('SET', p .. ':sockets', 0) end
  return out
end
";

impl Scripts {
    fn new() -> Self {
        let with = |parts: &[&str]| Script::new(&parts.concat());
        Self {
            connect: Script::new(
                r"
redis.call('HSET', KEYS[1], 'user', ARGV[2], 'node', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('HINCRBY', KEYS[4], ARGV[2], 1)
redis.call('INCR', KEYS[5])
local held = tonumber(redis.call('HGET', KEYS[6], ARGV[2]) or '0')
if tonumber(ARGV[5]) > held then redis.call('HSET', KEYS[6], ARGV[2], ARGV[5]) end
return 1",
            ),
            join: Script::new(
                r"
local uid = redis.call('HGET', KEYS[1], 'user')
if not uid then return {-1, 0} end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return {-1, 0} end
local c = redis.call('HINCRBY', KEYS[3], uid, 1)
return {c, redis.call('HLEN', KEYS[3])}",
            ),
            leave: with(&[
                DEC,
                r"
local uid = redis.call('HGET', KEYS[1], 'user')
if not uid then return {-1, 0} end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return {-1, 0} end
local c = dec(KEYS[3], uid, 1)
if c < 0 then c = 0 end
return {c, redis.call('HLEN', KEYS[3])}",
            ]),
            disconnect: with(&[DEC, DROP_SOCKET, "return drop_socket(ARGV[1], ARGV[2])"]),
            reap: with(&[
                DEC,
                DROP_SOCKET,
                r"
local p = ARGV[1]
local node = ARGV[2]
local last_seen = redis.call('ZSCORE', p .. ':nodes', node)
if redis.call('ZREM', p .. ':nodes', node) == 0 then return {} end
local out = {'!', last_seen}
for _, sid in ipairs(redis.call('SMEMBERS', p .. ':node:' .. node .. ':socks')) do
  local dropped = drop_socket(p, sid)
  if #dropped > 0 then
    table.insert(out, '#')
    for _, v in ipairs(dropped) do table.insert(out, v) end
  end
end
redis.call('DEL', p .. ':node:' .. node .. ':socks')
local census = p .. ':node:' .. node .. ':census'
local shares = redis.call('HGETALL', census)
for i = 1, #shares, 2 do
  local field = shares[i]
  local n = tonumber(shares[i + 1])
  if string.sub(field, 1, 2) == 'u:' then
    dec(p .. ':census:user', string.sub(field, 3), n)
  else
    dec(p .. ':census:addr', string.sub(field, 3), n)
  end
end
redis.call('DEL', census)
return out",
            ]),
            seat: Script::new(
                r"
local u = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if u >= tonumber(ARGV[3]) then return {1, u} end
local a = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if a >= tonumber(ARGV[4]) then return {2, a} end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('HINCRBY', KEYS[3], 'u:' .. ARGV[1], 1)
redis.call('HINCRBY', KEYS[3], 'a:' .. ARGV[2], 1)
return {0, 0}",
            ),
            release: with(&[
                DEC,
                r"
dec(KEYS[1], ARGV[1], 1)
dec(KEYS[2], ARGV[2], 1)
dec(KEYS[3], 'u:' .. ARGV[1], 1)
dec(KEYS[3], 'a:' .. ARGV[2], 1)
return 1",
            ]),
            // Every bucket refills; then either all of them have `cost` tokens and all pay,
            // or none pays (a refused action costs nothing). One answer per bucket, all equal.
            bucket: Script::new(
                r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local room = 1
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[3 * i - 2])
  local period = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local b = redis.call('HMGET', key, 'tokens', 'ts')
  local have = tonumber(b[1]) or burst
  local ts = tonumber(b[2]) or now
  have = math.min(burst, have + math.max(0, now - ts) * burst / period)
  if have < cost then room = 0 end
  tokens[i] = have
end
local out = {}
for i, key in ipairs(KEYS) do
  local left = tokens[i]
  if room == 1 then left = left - tonumber(ARGV[3 * i]) end
  redis.call('HSET', key, 'tokens', tostring(left), 'ts', now)
  redis.call('PEXPIRE', key, tonumber(ARGV[3 * i - 1]))
  table.insert(out, room)
end
return out",
            ),
            typing_expire: Script::new(
                r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0",
            ),
            // The place is what follows the generation's `:` (nothing: the room itself).
            typing_stop_at: Script::new(
                r"
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local place = string.match(value, ':(.*)$') or ''
if place == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0",
            ),
            lease: Script::new(
                r"
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0",
            ),
            heartbeat: Script::new(
                r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
local silent = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local alive = redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[2])), '+inf')
table.insert(silent, 1, tostring(alive))
return silent",
            ),
            touch: Script::new(
                r"
local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > held then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1",
            ),
        }
    }
}

/// A typing state's value: its generation, and `:<root>` when it is in a thread.
fn typing_value(generation: u64, place: Place) -> String {
    match place {
        Some(root) => format!("{generation}:{root}"),
        None => generation.to_string(),
    }
}

/// Where the typing state `value` is (see [`typing_value`]); the room itself when unreadable.
fn typing_place(value: &str) -> Place {
    value
        .split_once(':')
        .and_then(|(_, root)| root.parse().ok())
}

/// Turns `{uid, room, count, present, ...}` into departures.
fn departures(flat: &[String]) -> Vec<Departure> {
    let Some(uid) = flat.first().and_then(|s| s.parse::<i64>().ok()) else {
        return Vec::new();
    };
    flat[1..]
        .chunks_exact(3)
        .filter_map(|chunk| {
            let room = chunk[0].parse().ok()?;
            let count: i64 = chunk[1].parse().ok()?;
            let present: usize = chunk[2].parse().ok()?;
            Some(Departure {
                user: uid,
                room,
                change: Change {
                    user_changed: count <= 0,
                    count: present,
                },
            })
        })
        .collect()
}

impl RedisLive {
    /// A backend over this connection, for node `node`, timing its round trips in `metrics`.
    #[must_use]
    pub fn new(conn: ConnectionManager, prefix: String, node: String, metrics: Metrics) -> Self {
        Self {
            conn: TimedRedis::new(conn, metrics),
            prefix,
            node,
            scripts: std::sync::Arc::new(Scripts::new()),
        }
    }

    fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    fn conn(&self) -> TimedRedis<ConnectionManager> {
        self.conn.clone()
    }

    /// Checks that Redis answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> LiveResult<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }

    pub(super) async fn connect(&self, sid: &str, user: &User, at_ms: i64) -> LiveResult<()> {
        let json = serde_json::to_string(user).unwrap_or_default();
        let _: i64 = self
            .scripts
            .connect
            .key(self.key(&format!("sock:{sid}")))
            .key(self.key(&format!("node:{}:socks", self.node)))
            .key(self.key("users"))
            .key(self.key("online"))
            .key(self.key("sockets"))
            .key(self.key("active"))
            .arg(sid)
            .arg(user.id)
            .arg(&self.node)
            .arg(json)
            .arg(at_ms)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    pub(super) async fn join(&self, sid: &str, room: i64) -> LiveResult<Option<Change>> {
        let changed = self.membership(&self.scripts.join, sid, room).await?;
        Ok(changed.map(|(count, present)| Change {
            user_changed: count == 1,
            count: present,
        }))
    }

    pub(super) async fn leave(&self, sid: &str, room: i64) -> LiveResult<Option<Change>> {
        let changed = self.membership(&self.scripts.leave, sid, room).await?;
        Ok(changed.map(|(count, present)| Change {
            user_changed: count == 0,
            count: present,
        }))
    }

    /// Runs the join or leave script for a socket and a room: the user's socket count in the
    /// room and how many users are present, or `None` when nothing changed.
    async fn membership(
        &self,
        script: &Script,
        sid: &str,
        room: i64,
    ) -> LiveResult<Option<(i64, usize)>> {
        let (count, present): (i64, usize) = script
            .key(self.key(&format!("sock:{sid}")))
            .key(self.key(&format!("sock:{sid}:rooms")))
            .key(self.key(&format!("room:{room}")))
            .arg(room)
            .invoke_async(&mut self.conn())
            .await?;
        Ok((count >= 0).then_some((count, present)))
    }

    pub(super) async fn disconnect(&self, sid: &str) -> LiveResult<Vec<Departure>> {
        let flat: Vec<String> = self
            .scripts
            .disconnect
            .arg(&self.prefix)
            .arg(sid)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(departures(&flat))
    }

    pub(super) async fn is_in(&self, sid: &str, room: i64) -> LiveResult<bool> {
        Ok(self
            .conn()
            .sismember(self.key(&format!("sock:{sid}:rooms")), room)
            .await?)
    }

    pub(super) async fn members(&self, room: i64) -> LiveResult<Vec<User>> {
        let ids: Vec<String> = self.conn().hkeys(self.key(&format!("room:{room}"))).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let users: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.key("users"))
            .arg(&ids)
            .query_async(&mut self.conn())
            .await?;
        Ok(users
            .into_iter()
            .flatten()
            .filter_map(|json| serde_json::from_str(&json).ok())
            .collect())
    }

    pub(super) async fn counts(&self, rooms: &[i64]) -> LiveResult<HashMap<i64, u64>> {
        let mut pipe = redis::pipe();
        for room in rooms {
            pipe.hlen(self.key(&format!("room:{room}")));
        }
        let lens: Vec<u64> = pipe.query_async(&mut self.conn()).await?;
        Ok(rooms.iter().copied().zip(lens).collect())
    }

    pub(super) async fn totals(&self) -> LiveResult<(u64, u64)> {
        let (users, sockets): (u64, Option<i64>) = redis::pipe()
            .hlen(self.key("online"))
            .get(self.key("sockets"))
            .query_async(&mut self.conn())
            .await?;
        Ok((users, sockets.unwrap_or(0).max(0).unsigned_abs()))
    }

    fn typing_key(&self, room: i64, user: i64) -> String {
        self.key(&format!("typing:{room}:{user}"))
    }

    pub(super) async fn typing_start(
        &self,
        room: i64,
        user: i64,
        place: Place,
        ttl: Duration,
    ) -> LiveResult<Started> {
        let generation: u64 = rand::random();
        let previous: Option<String> = redis::cmd("SET")
            .arg(self.typing_key(room, user))
            .arg(typing_value(generation, place))
            .arg("PX")
            // Twice the TTL: the chat service's timer ends typing after the TTL (and says so);
            // the key's own expiry only cleans up after a node that died before its timer ran.
            .arg(
                u64::try_from(ttl.as_millis())
                    .unwrap_or(5_000)
                    .saturating_mul(2)
                    .max(1),
            )
            .arg("GET")
            .query_async(&mut self.conn())
            .await?;
        Ok(Started {
            generation,
            was: previous.as_deref().map(typing_place),
        })
    }

    pub(super) async fn typing_expire(
        &self,
        room: i64,
        user: i64,
        generation: u64,
        place: Place,
    ) -> LiveResult<bool> {
        let done: i64 = self
            .scripts
            .typing_expire
            .key(self.typing_key(room, user))
            .arg(typing_value(generation, place))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(done == 1)
    }

    pub(super) async fn touch(&self, user: i64, at_ms: i64) -> LiveResult<()> {
        let _: i64 = self
            .scripts
            .touch
            .key(self.key("active"))
            .arg(user)
            .arg(at_ms)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    pub(super) async fn last_active(&self, users: &[i64]) -> LiveResult<HashMap<i64, i64>> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let times: Vec<Option<i64>> = redis::cmd("HMGET")
            .arg(self.key("active"))
            .arg(users)
            .query_async(&mut self.conn())
            .await?;
        Ok(users
            .iter()
            .zip(times)
            .filter_map(|(user, at)| at.map(|at| (*user, at)))
            .collect())
    }

    pub(super) async fn typing_stop_at(
        &self,
        room: i64,
        user: i64,
        place: Place,
    ) -> LiveResult<bool> {
        let done: i64 = self
            .scripts
            .typing_stop_at
            .key(self.typing_key(room, user))
            .arg(place.map(|root| root.to_string()).unwrap_or_default())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(done == 1)
    }

    pub(super) async fn typing_stop(&self, room: i64, user: i64) -> LiveResult<Option<Place>> {
        let removed: Option<String> = redis::cmd("GETDEL")
            .arg(self.typing_key(room, user))
            .query_async(&mut self.conn())
            .await?;
        Ok(removed.as_deref().map(typing_place))
    }

    /// Takes `cost` from every `(action, subject)` bucket if each has it, else from none; one
    /// answer per bucket (all the same).
    pub(super) async fn buckets(
        &self,
        buckets: &[(Action, Subject, Quota)],
        cost: u32,
    ) -> LiveResult<Vec<bool>> {
        let mut invocation = self.scripts.bucket.prepare_invoke();
        for (action, subject, quota) in buckets {
            let subject = match subject {
                Subject::User(id) => format!("u{id}"),
                Subject::Addr(addr) => format!("a{addr}"),
                Subject::Session(sid) => format!("s{sid}"),
            };
            invocation
                .key(self.key(&format!("rl:{action:?}:{subject}")))
                .arg(quota.burst)
                .arg(
                    u64::try_from(quota.period.as_millis())
                        .unwrap_or(60_000)
                        .max(1),
                )
                .arg(cost);
        }
        let answers: Vec<i64> = invocation.invoke_async(&mut self.conn()).await?;
        Ok(answers.into_iter().map(|ok| ok == 1).collect())
    }

    pub(super) async fn seat(
        &self,
        user: i64,
        addr: AddrKey,
        max_user: usize,
        max_addr: usize,
    ) -> LiveResult<Result<(), Full>> {
        let (refused, count): (u8, usize) = self
            .scripts
            .seat
            .key(self.key("census:user"))
            .key(self.key("census:addr"))
            .key(self.key(&format!("node:{}:census", self.node)))
            .arg(user)
            .arg(addr.to_string())
            .arg(max_user)
            .arg(max_addr)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(match refused {
            0 => Ok(()),
            1 => Err(Full::User(count)),
            _ => Err(Full::Addr(count)),
        })
    }

    pub(super) async fn online(&self, users: &[i64]) -> LiveResult<HashSet<i64>> {
        if users.is_empty() {
            return Ok(HashSet::new());
        }
        let counts: Vec<Option<i64>> = redis::cmd("HMGET")
            .arg(self.key("census:user"))
            .arg(users)
            .query_async(&mut self.conn())
            .await?;
        Ok(users
            .iter()
            .zip(counts)
            .filter(|(_, count)| count.is_some_and(|n| n > 0))
            .map(|(user, _)| *user)
            .collect())
    }

    pub(super) async fn release(&self, user: i64, addr: AddrKey) -> LiveResult<()> {
        let _: i64 = self
            .scripts
            .release
            .key(self.key("census:user"))
            .key(self.key("census:addr"))
            .key(self.key(&format!("node:{}:census", self.node)))
            .arg(user)
            .arg(addr.to_string())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    pub(super) async fn lease(&self, name: &str, ttl: Duration) -> LiveResult<bool> {
        let held: i64 = self
            .scripts
            .lease
            .key(self.key(&format!("lease:{name}")))
            .arg(&self.node)
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(10_000))
            .invoke_async(&mut self.conn())
            .await?;
        Ok(held == 1)
    }

    /// Records this node's heartbeat; returns how many nodes are alive (this one included) and
    /// the nodes silent for longer than `dead_after`.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn heartbeat(&self, dead_after: Duration) -> LiveResult<(usize, Vec<String>)> {
        let mut answer: Vec<String> = self
            .scripts
            .heartbeat
            .key(self.key("nodes"))
            .arg(&self.node)
            .arg(u64::try_from(dead_after.as_millis()).unwrap_or(10_000))
            .invoke_async(&mut self.conn())
            .await?;
        let alive = if answer.is_empty() {
            0
        } else {
            answer.remove(0).parse().unwrap_or(0)
        };
        let silent = answer
            .into_iter()
            .filter(|node| *node != self.node)
            .collect();
        Ok((alive, silent))
    }

    /// Removes everything a dead node left (if no other node did it first); returns the
    /// departures to announce.
    ///
    /// # Errors
    /// When Redis fails.
    pub async fn reap(&self, node: &str) -> LiveResult<Option<Reaped>> {
        let flat: Vec<String> = self
            .scripts
            .reap
            .arg(&self.prefix)
            .arg(node)
            .invoke_async(&mut self.conn())
            .await?;
        // `!` and the last heartbeat first: this call removed the node (another node may have
        // been faster).
        let [marker, last_seen, rest @ ..] = flat.as_slice() else {
            return Ok(None);
        };
        if marker != "!" {
            return Ok(None);
        }
        Ok(Some(Reaped {
            // A score: Redis may write it as a float.
            last_seen_ms: last_seen.parse::<f64>().map_or(0, |ms| ms as i64),
            departures: rest
                .split(|item| item == "#")
                .flat_map(departures)
                .collect(),
        }))
    }
}

impl From<redis::RedisError> for super::LiveError {
    fn from(error: redis::RedisError) -> Self {
        Self::Redis(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{departures, typing_place, typing_value};

    #[test]
    fn a_typing_state_says_where_it_is() {
        assert_eq!(typing_place(&typing_value(17, None)), None);
        assert_eq!(typing_place(&typing_value(17, Some(40))), Some(40));
        assert_eq!(typing_place("17:not a number"), None);
    }

    #[test]
    fn departures_are_read_from_flat_lists() {
        let flat: Vec<String> = ["7", "1", "0", "3", "2", "1", "5"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let parsed = departures(&flat);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].user, 7);
        assert!(parsed[0].change.user_changed);
        assert_eq!(parsed[0].change.count, 3);
        assert!(!parsed[1].change.user_changed);
        assert!(departures(&[]).is_empty());
    }
}
