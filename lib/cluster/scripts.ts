/**
 * The Lua scripts the cluster runs inside Redis. Each one checks the calling node's lease
 * and writes its claim and its event together, so no other node can see one without the
 * other, and a node whose lease is gone (fenced) changes nothing.
 *
 * Keys (all under the `prefix`, `dc:` by default):
 * - `lease:NODE` = the node's incarnation, with a TTL; renewed every few seconds.
 * - `nodes` hash NODE → incarnation: every node that announced itself.
 * - `dead:NODE:INC`: set once by the survivor that publishes that incarnation's death.
 * - `nicks` hash FOLDED → OWNER (`NODE/INC/UID`): who holds each nick, network-wide.
 * - `owned:NODE:INC` set of the nicks that incarnation holds, to free them when it dies.
 * - `s:N`: the event streams, one per shard.
 *
 * @module
 */

/**
 * Renews a lease: `1` renewed, `2` re-taken after Redis lost it (restart without the key),
 * `0` fenced (another incarnation holds it, or this one was declared dead).
 *
 * KEYS: lease, dead marker. ARGV: incarnation, ttl ms.
 */
export const RENEW_LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur == false and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
`;

/**
 * Claims a nick for an owner and publishes the event in one step. Returns the stream id,
 * or `{err}` replies: `FENCED` (the caller's lease is not its own), `TAKEN` (someone else
 * holds the nick). When ARGV[4] names the owner's previous nick, it is released.
 *
 * KEYS: nicks, lease, stream, owned set. ARGV: folded nick, owner, incarnation, old folded
 * nick or "", event JSON, MINID for trimming.
 */
export const CLAIM_NICK = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return redis.error_reply('FENCED') end
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cur ~= ARGV[2] then return redis.error_reply('TAKEN') end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[1])
if ARGV[4] ~= '' and ARGV[4] ~= ARGV[1] and redis.call('HGET', KEYS[1], ARGV[4]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[4])
  redis.call('SREM', KEYS[4], ARGV[4])
end
return redis.call('XADD', KEYS[3], 'MINID', '~', ARGV[6], '*', 'e', ARGV[5])
`;

/**
 * Releases a nick (if the owner still holds it) and publishes the event. Returns the stream
 * id, or `{err}` `FENCED`.
 *
 * KEYS: nicks, lease, stream, owned set. ARGV: folded nick, owner, incarnation, event JSON,
 * MINID.
 */
export const RELEASE_NICK = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return redis.error_reply('FENCED') end
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
end
return redis.call('XADD', KEYS[3], 'MINID', '~', ARGV[5], '*', 'e', ARGV[4])
`;

/**
 * Publishes an event if the caller's lease is its own. Returns the stream id, or `{err}`
 * `FENCED`.
 *
 * KEYS: lease, stream. ARGV: incarnation, event JSON, MINID.
 */
export const PUBLISH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED') end
return redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[3], '*', 'e', ARGV[2])
`;

/**
 * Declares a node incarnation dead, once: only when its lease is gone (or is another
 * incarnation's) and the caller's own lease is valid. Frees every nick it held, forgets it in
 * the node table and publishes the death. Returns the stream id, or 0 when not (already
 * declared, still alive, or the caller is not live itself).
 *
 * KEYS: dead marker, dead node's lease, caller's lease, nodes hash, nicks, dead node's owned
 * set, stream. ARGV: dead node, its incarnation, caller's incarnation, event JSON, MINID.
 */
export const DECLARE_DEAD = `
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[2] then return 0 end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', 86400000) == false then return 0 end
if redis.call('HGET', KEYS[4], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[4], ARGV[1]) end
local prefix = ARGV[1] .. '/' .. ARGV[2] .. '/'
for _, nick in ipairs(redis.call('SMEMBERS', KEYS[6])) do
  local owner = redis.call('HGET', KEYS[5], nick)
  if owner and string.sub(owner, 1, string.len(prefix)) == prefix then
    redis.call('HDEL', KEYS[5], nick)
  end
end
redis.call('DEL', KEYS[6])
return redis.call('XADD', KEYS[7], 'MINID', '~', ARGV[5], '*', 'e', ARGV[4])
`;
