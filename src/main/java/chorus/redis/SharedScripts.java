package chorus.redis;

/**
 * The scripts behind {@link SharedOutbox}. Every one takes the same keys, all under one hash tag
 * (one shard of a cluster), so an event and the change it tells of are written in one step:
 * KEYS[1] the stream of events, [2] its bytes, [3] events dropped in all, [4] dropped and not yet
 * told to the receiver, [5] how many instances hold each thing, [6] how to say each thing left,
 * [7] departures waiting out their grace, [8] when each is due, [9] the instances alive by their
 * last beat, [10] the deliverer's lease, [11] what the calling (or a dead) instance holds.
 * ARGV[1] is always the bound in bytes; an event is six arguments (id, type, key, body, size,
 * and a message's id in its room, else empty), an empty id none.
 */
final class SharedScripts {
    static final String GROUP = "deliverers";

    /**
     * Appends an event; past the bound, drops the oldest events no deliverer has read yet (those it
     * read are in its hands, like a head in flight), counting each, until the stream is within it.
     */
    private static final String EMIT_FUNCTION = """
            local max = tonumber(ARGV[1])
            local function emit(id, type, key, body, size, order)
              if id == nil or id == '' then return end
              redis.call('XADD', KEYS[1], '*', 'id', id, 'type', type, 'key', key, 'body', body, 'size', size, 'order', order)
              local total = redis.call('INCRBY', KEYS[2], size)
              if total <= max then return end
              local read = '0-0'
              for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
                local name, last
                for i = 1, #group, 2 do
                  if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then last = group[i + 1] end
                end
                if name == '$group' then read = last end
              end
              while total > max do
                local oldest = redis.call('XRANGE', KEYS[1], '(' .. read, '+', 'COUNT', 1)
                if #oldest == 0 then break end
                redis.call('XDEL', KEYS[1], oldest[1][1])
                local fields = oldest[1][2]
                for i = 1, #fields, 2 do
                  if fields[i] == 'size' then total = redis.call('DECRBY', KEYS[2], fields[i + 1]) end
                end
                redis.call('INCR', KEYS[3])
                redis.call('INCR', KEYS[4])
              end
            end
            """;

    /** ARGV[2..7]: the event. */
    static final String EMIT = lua(EMIT_FUNCTION + """
            emit(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
            """);

    /**
     * An instance (ARGV[2], at ARGV[3] ms) holds a thing (ARGV[4]), which it says how to tell has
     * left (ARGV[5], for when it dies): the arrival (ARGV[6..11]) goes out if no instance held it
     * and it was not waiting out a departure's grace (then the departure is called off).
     */
    static final String HOLD = lua(EMIT_FUNCTION + """
            redis.call('ZADD', KEYS[9], ARGV[3], ARGV[2])
            if redis.call('SADD', KEYS[11], ARGV[4]) == 0 then return 0 end
            redis.call('HSET', KEYS[6], ARGV[4], ARGV[5])
            if redis.call('HINCRBY', KEYS[5], ARGV[4], 1) > 1 then return 0 end
            if redis.call('ZREM', KEYS[8], ARGV[4]) == 1 then
              redis.call('HDEL', KEYS[7], ARGV[4])
              return 0
            end
            emit(ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
            return 1
            """);

    /**
     * The instance whose set is KEYS[11] lets go of a thing (ARGV[4]) at ARGV[3] ms: when no
     * instance holds it any more, its departure (ARGV[6..11]) goes out at ARGV[5] ms, now if that
     * is not later, else when its grace is over unless something holds it again first.
     */
    static final String RELEASE = lua(EMIT_FUNCTION + """
            if redis.call('SREM', KEYS[11], ARGV[4]) == 0 then return 0 end
            if redis.call('HINCRBY', KEYS[5], ARGV[4], -1) > 0 then return 0 end
            redis.call('HDEL', KEYS[5], ARGV[4])
            if tonumber(ARGV[5]) <= tonumber(ARGV[3]) then
              redis.call('HDEL', KEYS[6], ARGV[4])
              emit(ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
            else
              redis.call('ZADD', KEYS[8], ARGV[5], ARGV[4])
              redis.call('HSET', KEYS[7], ARGV[4], cjson.encode({ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]}))
            end
            return 1
            """);

    /**
     * Every second from every instance (ARGV[2], at ARGV[3] ms): it is alive, and takes or keeps
     * the deliverer's lease (ARGV[4] ms) if free or its own. The deliverer also sends the
     * departures whose grace is over and learns which instances stopped beating ARGV[5] ms ago.
     * Answers {deliverer?, known? (0: this instance had been taken for dead, or Redis lost its
     * data), events waiting, their bytes, dropped, dropped untold, the dead...}.
     */
    static final String BEAT = lua(EMIT_FUNCTION + """
            local known = redis.call('ZADD', KEYS[9], ARGV[3], ARGV[2]) == 0
            local lease = redis.call('GET', KEYS[10])
            if not lease then
              redis.call('SET', KEYS[10], ARGV[2], 'PX', ARGV[4])
              lease = ARGV[2]
            elseif lease == ARGV[2] then
              redis.call('PEXPIRE', KEYS[10], ARGV[4])
            end
            local answer = {0, known and 1 or 0}
            if lease == ARGV[2] then
              answer[1] = 1
              for _, thing in ipairs(redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', ARGV[3], 'LIMIT', 0, 100)) do
                redis.call('ZREM', KEYS[8], thing)
                local event = cjson.decode(redis.call('HGET', KEYS[7], thing) or '[""]')
                redis.call('HDEL', KEYS[7], thing)
                redis.call('HDEL', KEYS[6], thing)
                emit(event[1], event[2], event[3], event[4], event[5], event[6])
              end
            end
            answer[3] = redis.call('XLEN', KEYS[1])
            answer[4] = tonumber(redis.call('GET', KEYS[2]) or '0')
            answer[5] = tonumber(redis.call('GET', KEYS[3]) or '0')
            answer[6] = tonumber(redis.call('GET', KEYS[4]) or '0')
            if lease == ARGV[2] then
              for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[5]), 'LIMIT', 0, 10)) do
                table.insert(answer, dead)
              end
            end
            return answer
            """);

    /**
     * The deliverer (ARGV[2]) reads up to ARGV[4] events from ARGV[3]: 'claim' takes over every
     * event another deliverer read and did not finish (it died, or lost the lease) and reads them
     * first, in order; an id reads on through what it holds after that id; '>' reads what nobody
     * read. Answers {where to read next, then per event: entry id, id, type, key, body, size, order};
     * an event dropped after it was read is acknowledged and skipped.
     */
    static final String TAKE = lua("""
            pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], '$group', '0', 'MKSTREAM')
            local from = ARGV[3]
            if from == 'claim' then
              local cursor = '0-0'
              repeat
                cursor = redis.call('XAUTOCLAIM', KEYS[1], '$group', ARGV[2], 0, cursor, 'COUNT', 1000, 'JUSTID')[1]
              until cursor == '0-0'
              from = '0-0'
            end
            local entries = {}
            if from ~= '>' then
              local read = redis.call('XREADGROUP', 'GROUP', '$group', ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], from)
              entries = read and read[1][2] or {}
              if #entries == 0 then from = '>' else from = entries[#entries][1] end
            end
            if from == '>' then
              local read = redis.call('XREADGROUP', 'GROUP', '$group', ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
              entries = read and read[1][2] or {}
            end
            local answer = {from}
            for _, entry in ipairs(entries) do
              local fields = entry[2]
              if not fields then
                redis.call('XACK', KEYS[1], '$group', entry[1])
              else
                local event = {}
                for i = 1, #fields, 2 do event[fields[i]] = fields[i + 1] end
                for _, value in ipairs({entry[1], event.id, event.type, event.key, event.body, event.size, event.order or ''}) do
                  table.insert(answer, value)
                end
              end
            end
            return answer
            """);

    /** An event (entry ARGV[2], ARGV[3] bytes) was delivered or given up; the delivery told of ARGV[4] dropped. */
    static final String DONE = lua("""
            if redis.call('XDEL', KEYS[1], ARGV[2]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[3]) end
            redis.call('XACK', KEYS[1], '$group', ARGV[2])
            if tonumber(ARGV[4]) > 0 and redis.call('DECRBY', KEYS[4], ARGV[4]) < 0 then redis.call('SET', KEYS[4], 0) end
            """);

    /** The consumer group's name, where a script says $group. */
    private static String lua(String script) {
        return script.replace("$group", GROUP);
    }

    private SharedScripts() {
    }
}
