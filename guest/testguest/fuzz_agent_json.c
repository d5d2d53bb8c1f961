/* libFuzzer target over the test agent's JSON handling: request parsing, config compaction,
 * string escaping and the test-hook lookup. Any input must leave them defined and consistent. */
/* The agent is one file; its main becomes an unused function here. Included first: it sets
 * _GNU_SOURCE before any system header. */
#define main berth_test_agent_main
#include "agent.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const char* text = (const char*)data;

    struct request rq = {0};
    parse_request(text, size, &rq);
    free(rq.type.data);

    /* Compacting an object yields an object that compacts to itself. */
    struct buf out = {0};
    if (json_compact_object(text, size, &out)) {
        struct buf again = {0};
        if (!json_compact_object(out.data, out.len, &again) || again.len != out.len
            || (out.len && memcmp(again.data, out.data, out.len) != 0)) {
            abort();
        }
        free(again.data);
    }
    free(out.data);

    /* Any bytes escape to one valid JSON string. */
    struct buf s = {0};
    json_add_string(&s, text, size);
    struct json j = {s.data, s.data + s.len, NULL, 0};
    if (!json_string(&j, NULL) || j.p != s.data + s.len) { abort(); }
    free(s.data);

    config_flag(text, size, "\"ignoreShutdown\"");
    return 0;
}
