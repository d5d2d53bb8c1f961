/*
 * berth-test-agent: the guest side of Berth's agent channel protocol v1, for the tiny test guest.
 *
 * JSON lines over the virtio-serial port org.berth.agent.0. It says hello whenever a host
 * connects, reports boot phases, echoes the guest config from fw_cfg in "ready", answers
 * "status", and powers the VM off on a "shutdown" request or the ACPI power button.
 * Test hooks in the config: "ignoreShutdown": true, "failBoot": true, "silentBoot": true (says
 * hello and answers "status", but never reports the boot's outcome).
 *
 * It runs as PID 1 (exec'd by /init) and must never exit: PID 1 exiting panics the kernel.
 * Log lines go to stderr, which is the serial console.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AGENT_NAME "berth-test-agent"
#define PROTOCOL_VERSION 1
#define PORT_NAME "org.berth.agent.0"
#define PORT_DIR "/dev/virtio-ports"
#define CONFIG_PATH "/sys/firmware/qemu_fw_cfg/by_name/opt/berth/config/raw"
/* One line on the channel is at most 64 KiB, not counting its '\n'. */
#define MAX_LINE 65536
#define MAX_CONFIG (1024 * 1024)
#define MAX_INPUTS 32
/* While no host is connected the port polls as readable+hung-up, so it is re-checked on a timer. */
#define RECONNECT_CHECK_MS 50
#define PORT_WAIT_MS 60000
#define FLUSH_BEFORE_POWEROFF_MS 2000

/* ---------------------------------------------------------------- logging */

static void logmsg(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char* fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    char line[512];
    int n = snprintf(line, sizeof line, "[%5ld.%03ld] " AGENT_NAME ": ", (long)ts.tv_sec, ts.tv_nsec / 1000000L);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- growable buffer */

struct buf {
    char* data;
    size_t len, cap;
};

static void buf_reserve(struct buf* b, size_t extra)
{
    if (b->len + extra <= b->cap) { return; }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) { cap *= 2; }
    char* p = realloc(b->data, cap);
    if (!p) {
        /* Out of memory in a 256 MiB test guest means something is badly wrong; stop loudly. */
        logmsg("out of memory");
        abort();
    }
    b->data = p;
    b->cap = cap;
}

static void buf_add(struct buf* b, const char* s, size_t n)
{
    if (n == 0) { return; }
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void buf_adds(struct buf* b, const char* s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf* b, char c)
{
    buf_add(b, &c, 1);
}

static void buf_consume(struct buf* b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* ---------------------------------------------------------------- JSON */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char* s, const unsigned char* end)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) { return 1; }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n) { return 0; }
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) { return 0; }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { return 0; }
    return n;
}

/* Appends s as a JSON string literal; invalid UTF-8 bytes become U+FFFD. */
static void json_add_string(struct buf* b, const char* s, size_t n)
{
    const unsigned char *p = (const unsigned char*)s, *end = p + n;
    buf_addc(b, '"');
    while (p < end) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            buf_addc(b, '\\');
            buf_addc(b, (char)c);
            p++;
        } else if (c == '\n') {
            buf_adds(b, "\\n");
            p++;
        } else if (c == '\r') {
            buf_adds(b, "\\r");
            p++;
        } else if (c == '\t') {
            buf_adds(b, "\\t");
            p++;
        } else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_adds(b, esc);
            p++;
        } else {
            size_t l = utf8_len(p, end);
            if (l == 0) {
                buf_adds(b, "\\ufffd");
                p++;
            } else {
                buf_add(b, (const char*)p, l);
                p += l;
            }
        }
    }
    buf_addc(b, '"');
}

static void json_add_cstring(struct buf* b, const char* s)
{
    json_add_string(b, s, strlen(s));
}

/*
 * A strict RFC 8259 reader over [p, end). Values can be copied without insignificant
 * whitespace (out != NULL), which keeps a pretty-printed config on one channel line.
 */
struct json {
    const char *p, *end;
    struct buf* out;
    int depth;
};

#define JSON_MAX_DEPTH 64

static void json_ws(struct json* j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) { j->p++; }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') { return c - '0'; }
    if (c >= 'a' && c <= 'f') { return c - 'a' + 10; }
    if (c >= 'A' && c <= 'F') { return c - 'A' + 10; }
    return -1;
}

static bool json_hex4(struct json* j, unsigned* v)
{
    if (j->end - j->p < 4) { return false; }
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0) { return false; }
        *v = (*v << 4) | (unsigned)h;
    }
    j->p += 4;
    return true;
}

static void utf8_put(struct buf* b, unsigned cp)
{
    char s[4];
    size_t n;
    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(b, s, n);
}

/* Reads a string literal; its decoded text goes to decoded (if not NULL). */
static bool json_string(struct json* j, struct buf* decoded)
{
    const char* start = j->p;
    if (j->p >= j->end || *j->p != '"') { return false; }
    j->p++;
    for (;;) {
        if (j->p >= j->end) { return false; }
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20) { return false; }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end) { return false; }
            char e = *j->p++;
            unsigned cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!json_hex4(j, &cp)) { return false; }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') { return false; }
                    j->p += 2;
                    if (!json_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF) { return false; }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                break;
            default: return false;
            }
            if (decoded) { utf8_put(decoded, cp); }
            continue;
        }
        size_t l = utf8_len((const unsigned char*)j->p, (const unsigned char*)j->end);
        if (l == 0) { return false; }
        if (decoded) { buf_add(decoded, j->p, l); }
        j->p += l;
    }
    if (j->out) { buf_add(j->out, start, (size_t)(j->p - start)); }
    return true;
}

static bool json_number(struct json* j)
{
    const char* s = j->p;
    if (j->p < j->end && *j->p == '-') { j->p++; }
    if (j->p >= j->end) { return false; }
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') { j->p++; }
    } else {
        return false;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') { return false; }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') { j->p++; }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) { j->p++; }
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') { return false; }
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') { j->p++; }
    }
    if (j->out) { buf_add(j->out, s, (size_t)(j->p - s)); }
    return true;
}

static bool json_literal(struct json* j, const char* lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) { return false; }
    if (j->out) { buf_add(j->out, j->p, n); }
    j->p += n;
    return true;
}

static bool json_value(struct json* j);

static bool json_container(struct json* j, char open, char close)
{
    if (++j->depth > JSON_MAX_DEPTH) { return false; }
    j->p++;
    if (j->out) { buf_addc(j->out, open); }
    json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
    } else {
        for (;;) {
            if (open == '{') {
                json_ws(j);
                if (!json_string(j, NULL)) { return false; }
                json_ws(j);
                if (j->p >= j->end || *j->p != ':') { return false; }
                j->p++;
                if (j->out) { buf_addc(j->out, ':'); }
            }
            if (!json_value(j)) { return false; }
            json_ws(j);
            if (j->p >= j->end) { return false; }
            if (*j->p == ',') {
                j->p++;
                if (j->out) { buf_addc(j->out, ','); }
                continue;
            }
            if (*j->p == close) {
                j->p++;
                break;
            }
            return false;
        }
    }
    if (j->out) { buf_addc(j->out, close); }
    j->depth--;
    return true;
}

static bool json_value(struct json* j)
{
    json_ws(j);
    if (j->p >= j->end) { return false; }
    switch (*j->p) {
    case '{': return json_container(j, '{', '}');
    case '[': return json_container(j, '[', ']');
    case '"': return json_string(j, NULL);
    case 't': return json_literal(j, "true");
    case 'f': return json_literal(j, "false");
    case 'n': return json_literal(j, "null");
    default: return json_number(j);
    }
}

/* True if [s, s+n) is exactly one JSON object (surrounding whitespace allowed); copies it compacted. */
static bool json_compact_object(const char* s, size_t n, struct buf* out)
{
    struct json j = {s, s + n, out, 0};
    json_ws(&j);
    if (j.p >= j.end || *j.p != '{') { return false; }
    if (!json_value(&j)) { return false; }
    json_ws(&j);
    return j.p == j.end;
}

/* What the host asked for: the top-level "type" (decoded) and "timeout", if present. */
struct request {
    bool has_type;
    struct buf type;
    bool has_timeout;
    double timeout;
};

/* Parses one request line. False if the line is not a JSON object (the caller ignores it). */
static bool parse_request(const char* s, size_t n, struct request* rq)
{
    struct json j = {s, s + n, NULL, 1};
    json_ws(&j);
    if (j.p >= j.end || *j.p != '{') { return false; }
    j.p++;
    json_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            struct buf key = {0};
            json_ws(&j);
            bool ok = json_string(&j, &key);
            bool is_type = ok && key.len == 4 && memcmp(key.data, "type", 4) == 0;
            bool is_timeout = ok && key.len == 7 && memcmp(key.data, "timeout", 7) == 0;
            free(key.data);
            if (!ok) { return false; }
            json_ws(&j);
            if (j.p >= j.end || *j.p != ':') { return false; }
            j.p++;
            json_ws(&j);
            const char* v = j.p;
            if (is_type && v < j.end && *v == '"') {
                rq->type.len = 0;
                if (!json_string(&j, &rq->type)) { return false; }
                rq->has_type = true;
            } else {
                if (!json_value(&j)) { return false; }
                if (is_timeout && v < j.end && (*v == '-' || (*v >= '0' && *v <= '9'))) {
                    rq->has_timeout = true;
                    rq->timeout = strtod(v, NULL);
                }
            }
            json_ws(&j);
            if (j.p >= j.end) { return false; }
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p == '}') {
                j.p++;
                break;
            }
            return false;
        }
    }
    json_ws(&j);
    return j.p == j.end;
}

/* Test hooks are plain substring checks: "key" followed by ':' and true. */
static bool config_flag(const char* cfg, size_t n, const char* key)
{
    size_t kl = strlen(key);
    for (const char* p = memmem(cfg, n, key, kl); p;) {
        const char *q = p + kl, *end = cfg + n;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) { q++; }
        if (q < end && *q == ':') {
            q++;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) { q++; }
            if ((size_t)(end - q) >= 4 && memcmp(q, "true", 4) == 0) { return true; }
        }
        p = memmem(p + 1, (size_t)(end - p - 1), key, kl);
    }
    return false;
}

/* ---------------------------------------------------------------- channel */

static struct {
    int fd;
    bool host_connected;
    struct buf out; /* unsent lines */
    struct buf in; /* partial incoming line */
    bool discarding; /* skipping the rest of an overlong line */
    struct buf boot_result; /* ready or error line, replayed after hello on a reconnect */
    bool boot_result_sent;
} chan = {.fd = -1};

static struct {
    bool ignore_shutdown;
    bool fail_boot;
    bool silent_boot;
    const char* state; /* "booting", "ready", "failed" */
} guest = {.state = "booting"};

static void log_line(const char* dir, const char* line, size_t n)
{
    if (n > 0 && line[n - 1] == '\n') { n--; }
    int shown = n > 300 ? 300 : (int)n;
    logmsg("%s %.*s%s", dir, shown, line, (size_t)shown < n ? " ..." : "");
}

/* Queues one message (a complete JSON object without the newline). */
static void send_line(const struct buf* msg)
{
    if (msg->len > MAX_LINE) {
        logmsg("not sending a %zu-byte message: over the channel's line limit", msg->len);
        return;
    }
    log_line("->", msg->data, msg->len);
    buf_add(&chan.out, msg->data, msg->len);
    buf_addc(&chan.out, '\n');
}

static void make_error(struct buf* m, const char* step, const char* message)
{
    buf_adds(m, "{\"type\":\"error\",\"step\":");
    json_add_cstring(m, step);
    buf_adds(m, ",\"message\":");
    json_add_cstring(m, message);
    buf_addc(m, '}');
}

static void send_error(const char* step, const char* message)
{
    struct buf m = {0};
    make_error(&m, step, message);
    send_line(&m);
    free(m.data);
}

/* "ready" or the error that replaces it; kept so a host that connects later still gets it. */
static void send_boot_result(const struct buf* m)
{
    send_line(m);
    chan.boot_result.len = 0;
    buf_add(&chan.boot_result, m->data, m->len);
}

static void send_phase(const char* name)
{
    struct buf m = {0};
    buf_adds(&m, "{\"type\":\"phase\",\"name\":");
    json_add_cstring(&m, name);
    buf_addc(&m, '}');
    send_line(&m);
    free(m.data);
}

static void send_simple(const char* json)
{
    struct buf m = {0};
    buf_adds(&m, json);
    send_line(&m);
    free(m.data);
}

/* On every new host connection: hello first, then the boot result if an earlier host already got it. */
static void on_host_connected(void)
{
    logmsg("host connected");
    struct buf pending = chan.out;
    chan.out = (struct buf){0};
    char hello[128];
    snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"version\":%d,\"agent\":\"" AGENT_NAME "\"}", PROTOCOL_VERSION);
    send_simple(hello);
    if (chan.boot_result_sent && chan.boot_result.len) {
        struct buf again = {0};
        buf_add(&again, chan.boot_result.data, chan.boot_result.len);
        send_line(&again);
        free(again.data);
    }
    if (pending.len) { buf_add(&chan.out, pending.data, pending.len); }
    free(pending.data);
}

/* Writes what the port takes without blocking. */
static void flush_out(void)
{
    while (chan.fd >= 0 && chan.host_connected && chan.out.len) {
        ssize_t w = write(chan.fd, chan.out.data, chan.out.len);
        if (w > 0) {
            buf_consume(&chan.out, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR) { continue; }
        if (w < 0 && errno != EAGAIN) { logmsg("write to the channel failed: %s", strerror(errno)); }
        break;
    }
    if (chan.out.len == 0 && chan.boot_result.len) { chan.boot_result_sent = true; }
}

/* Polls the port once without waiting and tracks host (dis)connection. Returns revents. */
static short check_port(short events, int timeout_ms)
{
    struct pollfd pfd = {chan.fd, events, 0};
    if (poll(&pfd, 1, timeout_ms) < 0) { return 0; }
    bool connected = !(pfd.revents & POLLHUP);
    if (connected && !chan.host_connected) {
        chan.host_connected = true;
        on_host_connected();
    } else if (!connected && chan.host_connected) {
        chan.host_connected = false;
        logmsg("host disconnected");
    }
    return pfd.revents;
}

/* The port appears once virtio_console has handled the device's port-add message; without udev,
 * the /dev/virtio-ports/<name> link is made here. */
static int open_port(void)
{
    long long deadline = now_ms() + PORT_WAIT_MS;
    char dev[64] = "";
    for (;;) {
        DIR* d = opendir("/sys/class/virtio-ports");
        struct dirent* e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') { continue; }
            char path[300], name[128] = "";
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
            FILE* f = fopen(path, "r");
            if (!f) { continue; }
            if (fgets(name, sizeof name, f)) { name[strcspn(name, "\n")] = 0; }
            fclose(f);
            if (strcmp(name, PORT_NAME) == 0) {
                snprintf(dev, sizeof dev, "%.40s", e->d_name);
                break;
            }
        }
        if (d) { closedir(d); }
        if (dev[0]) { break; }
        if (now_ms() > deadline) {
            logmsg("no virtio-serial port named " PORT_NAME " after %d ms; is the virtserialport "
                   "device configured?",
                   PORT_WAIT_MS);
            return -1;
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    mkdir(PORT_DIR, 0755);
    char link[128], target[80];
    snprintf(link, sizeof link, PORT_DIR "/" PORT_NAME);
    snprintf(target, sizeof target, "../%s", dev);
    if (symlink(target, link) < 0 && errno != EEXIST) { logmsg("cannot link %s: %s", link, strerror(errno)); }
    int fd = open(link, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        logmsg("cannot open %s: %s", link, strerror(errno));
    } else {
        logmsg("opened " PORT_DIR "/" PORT_NAME " (/dev/%s)", dev);
    }
    return fd;
}

/* ---------------------------------------------------------------- power */

static void wait_flushed(int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (chan.fd >= 0 && chan.host_connected && chan.out.len) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            logmsg("gave up flushing %zu bytes to the host", chan.out.len);
            break;
        }
        short re = check_port(POLLOUT, (int)left);
        if (re & POLLOUT) { flush_out(); }
    }
}

static void power_off(const char* why)
{
    logmsg("powering off (%s)", why);
    send_simple("{\"type\":\"shutting-down\"}");
    wait_flushed(FLUSH_BEFORE_POWEROFF_MS);
    sync();
    reboot(RB_POWER_OFF);
    /* Only reached if the kernel refused. */
    char msg[160];
    snprintf(msg, sizeof msg, "reboot(RB_POWER_OFF) failed: %s", strerror(errno));
    logmsg("%s", msg);
    send_error("shutdown", msg);
}

/* ---------------------------------------------------------------- requests */

static void handle_line(char* line, size_t n)
{
    if (n > 0 && line[n - 1] == '\r') { n--; }
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) { i++; }
    if (i == n) { return; }
    log_line("<-", line, n);
    struct request rq = {0};
    if (!parse_request(line, n, &rq)) {
        logmsg("ignoring a line that is not a JSON object");
        free(rq.type.data);
        return;
    }
    buf_addc(&rq.type, '\0');
    const char* type = rq.type.data;
    if (!rq.has_type) {
        send_error("channel", "request without a string \"type\"");
    } else if (strcmp(type, "status") == 0) {
        struct buf m = {0};
        buf_adds(&m, "{\"type\":\"status\",\"state\":");
        json_add_cstring(&m, guest.state);
        buf_addc(&m, '}');
        send_line(&m);
        free(m.data);
    } else if (strcmp(type, "shutdown") == 0) {
        if (guest.ignore_shutdown) {
            logmsg("ignoring shutdown request (ignoreShutdown test hook)");
        } else {
            char why[80];
            if (rq.has_timeout) {
                snprintf(why, sizeof why, "shutdown request, timeout %g s", rq.timeout);
            } else {
                snprintf(why, sizeof why, "shutdown request");
            }
            power_off(why);
        }
    } else {
        struct buf msg = {0};
        buf_adds(&msg, "unknown request \"");
        buf_add(&msg, rq.type.data, strlen(type) > 200 ? 200 : strlen(type));
        buf_adds(&msg, "\"");
        buf_addc(&msg, '\0');
        send_error("channel", msg.data);
        free(msg.data);
    }
    free(rq.type.data);
}

static void read_port(void)
{
    char tmp[4096];
    for (;;) {
        ssize_t r = read(chan.fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) { continue; }
        if (r <= 0) {
            if (r < 0 && errno != EAGAIN) { logmsg("read from the channel failed: %s", strerror(errno)); }
            return;
        }
        for (ssize_t k = 0; k < r; k++) {
            char c = tmp[k];
            if (chan.discarding) {
                if (c == '\n') { chan.discarding = false; }
                continue;
            }
            if (c == '\n') {
                handle_line(chan.in.data, chan.in.len);
                chan.in.len = 0;
                continue;
            }
            if (chan.in.len >= MAX_LINE) {
                logmsg("ignoring a line longer than %d bytes", MAX_LINE);
                chan.in.len = 0;
                chan.discarding = true;
                continue;
            }
            buf_addc(&chan.in, c);
        }
    }
}

/* ---------------------------------------------------------------- boot */

static int input_fds[MAX_INPUTS];
static int n_inputs;

/* The ACPI power button (module "button") reports KEY_POWER through evdev. */
static void open_inputs(void)
{
    DIR* d = opendir("/dev/input");
    struct dirent* e;
    while (d && (e = readdir(d)) && n_inputs < MAX_INPUTS) {
        if (strncmp(e->d_name, "event", 5) != 0) { continue; }
        char path[300];
        snprintf(path, sizeof path, "/dev/input/%s", e->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) { continue; }
        unsigned char keys[KEY_MAX / 8 + 1] = {0};
        char name[128] = "?";
        ioctl(fd, EVIOCGNAME(sizeof name), name);
        if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof keys), keys) < 0 || !(keys[KEY_POWER / 8] & (1u << (KEY_POWER % 8)))) {
            close(fd);
            continue;
        }
        logmsg("watching %s (%s) for the power button", path, name);
        input_fds[n_inputs++] = fd;
    }
    if (d) { closedir(d); }
    if (n_inputs == 0) { logmsg("no input device reports KEY_POWER; ACPI power button will not work"); }
}

static bool read_power_button(int fd)
{
    struct input_event ev[16];
    bool pressed = false;
    for (;;) {
        ssize_t r = read(fd, ev, sizeof ev);
        if (r <= 0) { break; }
        for (size_t i = 0; i < (size_t)r / sizeof ev[0]; i++) {
            if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1) { pressed = true; }
        }
    }
    return pressed;
}

static bool read_file(const char* path, struct buf* out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { return false; }
    char tmp[4096];
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof tmp);
        if (r < 0 && errno == EINTR) { continue; }
        if (r <= 0) { break; }
        buf_add(out, tmp, (size_t)r);
        if (out->len > MAX_CONFIG) { break; }
    }
    close(fd);
    return true;
}

/* Reads the guest config and sends "ready", or the error that replaces it. */
static void boot(void)
{
    /* The power button works whatever happens to the config. */
    send_phase("watching power button");
    open_inputs();

    send_phase("reading guest config");
    struct buf cfg = {0};
    struct buf msg = {0};
    char err[256];
    if (!read_file(CONFIG_PATH, &cfg)) {
        snprintf(err, sizeof err, "cannot read %s: %s", CONFIG_PATH, strerror(errno));
        make_error(&msg, "config", err);
        guest.state = "failed";
        send_boot_result(&msg);
        goto out;
    }
    logmsg("guest config: %zu bytes", cfg.len);
    guest.ignore_shutdown = config_flag(cfg.data, cfg.len, "\"ignoreShutdown\"");
    guest.fail_boot = config_flag(cfg.data, cfg.len, "\"failBoot\"");
    guest.silent_boot = config_flag(cfg.data, cfg.len, "\"silentBoot\"");
    if (guest.ignore_shutdown) { logmsg("test hook: ignoring shutdown requests and the power button"); }
    if (guest.silent_boot) {
        logmsg("test hook: the boot's outcome is never reported (silentBoot)");
        goto out;
    }

    if (guest.fail_boot) {
        make_error(&msg, "boot", "failBoot is set in the guest config (test hook)");
        guest.state = "failed";
        send_boot_result(&msg);
        goto out;
    }
    buf_adds(&msg, "{\"type\":\"ready\",\"version\":1,\"config\":");
    size_t before = msg.len;
    if (!json_compact_object(cfg.data, cfg.len, &msg)) {
        msg.len = before;
        json_add_string(&msg, cfg.data, cfg.len);
    }
    buf_addc(&msg, '}');
    if (msg.len > MAX_LINE) {
        snprintf(err, sizeof err, "guest config too large: %zu bytes, a channel line holds %d", cfg.len, MAX_LINE);
        msg.len = 0;
        make_error(&msg, "config", err);
        guest.state = "failed";
        send_boot_result(&msg);
        goto out;
    }
    guest.state = "ready";
    send_boot_result(&msg);
out:
    free(cfg.data);
    free(msg.data);
}

int main(void)
{
    logmsg("starting (protocol v%d)", PROTOCOL_VERSION);
    chan.fd = open_port();
    if (chan.fd >= 0) { check_port(POLLOUT, 0); }
    boot();

    for (;;) {
        flush_out();
        struct pollfd pfd[MAX_INPUTS + 1];
        int n = 0;
        for (int i = 0; i < n_inputs; i++) { pfd[n++] = (struct pollfd){input_fds[i], POLLIN, 0}; }
        int port_idx = -1;
        if (chan.fd >= 0 && chan.host_connected) {
            port_idx = n;
            pfd[n++] = (struct pollfd){chan.fd, (short)(POLLIN | (chan.out.len ? POLLOUT : 0)), 0};
        }
        int timeout = (chan.fd >= 0 && !chan.host_connected) ? RECONNECT_CHECK_MS : -1;
        int r = poll(pfd, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            logmsg("poll failed: %s", strerror(errno));
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int i = 0; i < n_inputs && r > 0; i++) {
            if (!(pfd[i].revents & POLLIN) || !read_power_button(input_fds[i])) { continue; }
            if (guest.ignore_shutdown) {
                logmsg("power button pressed: ignored (ignoreShutdown test hook)");
            } else {
                power_off("ACPI power button");
            }
        }
        if (port_idx >= 0 && (pfd[port_idx].revents & POLLIN)) { read_port(); }
        if (port_idx >= 0 && (pfd[port_idx].revents & POLLHUP)) {
            chan.host_connected = false;
            logmsg("host disconnected");
        }
        if (chan.fd >= 0 && !chan.host_connected) {
            short re = check_port(POLLIN, 0);
            if (chan.host_connected && (re & POLLIN)) { read_port(); }
        }
    }
}
