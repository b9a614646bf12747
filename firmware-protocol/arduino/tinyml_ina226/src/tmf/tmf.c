/* tmf.c - reference encoder for firmware protocol v1. See tmf.h. */
#include "tmf.h"

#include <string.h>

typedef struct {
  char *buf;
  size_t size;
  size_t len;
  uint8_t sum;
  int overflow;
} writer_t;

static void put_raw(writer_t *w, char c) {
  if (w->len + 1 >= w->size) { /* keep room for the NUL */
    w->overflow = 1;
    return;
  }
  w->buf[w->len++] = c;
}

/* A byte between '$' and '*': written and checksummed. */
static void put(writer_t *w, char c) {
  w->sum ^= (uint8_t)c;
  put_raw(w, c);
}

static void put_str(writer_t *w, const char *s) {
  while (*s != '\0') put(w, *s++);
}

static void put_u64(writer_t *w, uint64_t value) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(value % 10u));
    value /= 10u;
  } while (value != 0u);
  while (n > 0) put(w, digits[--n]);
}

static void put_field(writer_t *w, uint64_t value) {
  put(w, ',');
  put_u64(w, value);
}

static void begin(writer_t *w, char *buf, size_t size, char type) {
  w->buf = buf;
  w->size = size;
  w->len = 0;
  w->sum = 0;
  w->overflow = 0;
  put_raw(w, '$');
  put_str(w, "TMF1,");
  put(w, type);
}

static int finish(writer_t *w) {
  static const char hex[] = "0123456789ABCDEF";
  uint8_t sum = w->sum;
  put_raw(w, '*');
  put_raw(w, hex[sum >> 4]);
  put_raw(w, hex[sum & 0x0Fu]);
  put_raw(w, '\r');
  put_raw(w, '\n');
  if (w->overflow || w->len - 2u > TMF_MAX_LINE_BYTES) {
    if (w->size > 0) w->buf[0] = '\0';
    return TMF_ERR_BUFFER;
  }
  w->buf[w->len] = '\0';
  return (int)w->len;
}

static int fail(char *buf, size_t size, int code) {
  if (buf != NULL && size > 0) buf[0] = '\0';
  return code;
}

static int is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Printable ASCII 0x21..0x7E except , * $ " \ (SPEC §3.1). */
static int is_label_char(char c) {
  return c >= 0x21 && c <= 0x7E && c != ',' && c != '*' && c != '$' && c != '"' && c != '\\';
}

static int valid_string(const char *s, size_t max_chars, int (*allowed)(char)) {
  size_t n = 0;
  if (s == NULL) return 0;
  for (; s[n] != '\0'; n++) {
    if (n >= max_chars || !allowed(s[n])) return 0;
  }
  return n > 0;
}

/* Ids made only of dots ("." and "..") are refused: URLs and file systems give them a meaning (SPEC §3.1). */
static int only_dots(const char *s) {
  for (; *s != '\0'; s++) {
    if (*s != '.') return 0;
  }
  return 1;
}

int tmf_hello(char *buf, size_t size, const char *device_id, const char *board, const char *firmware,
              uint16_t supply_mv, uint32_t sample_period_us) {
  writer_t w;
  if (buf == NULL) return TMF_ERR_BUFFER;
  if (!valid_string(device_id, TMF_MAX_DEVICE_ID_CHARS, is_id_char) || only_dots(device_id) ||
      !valid_string(board, TMF_MAX_LABEL_CHARS, is_label_char) ||
      !valid_string(firmware, TMF_MAX_LABEL_CHARS, is_label_char) || sample_period_us > TMF_MAX_SAMPLE_PERIOD_US) {
    return fail(buf, size, TMF_ERR_ARG);
  }
  begin(&w, buf, size, 'H');
  put(&w, ',');
  put_str(&w, device_id);
  put(&w, ',');
  put_str(&w, board);
  put(&w, ',');
  put_str(&w, firmware);
  put_field(&w, TMF_PROTOCOL_VERSION);
  put_field(&w, supply_mv);
  put_field(&w, sample_period_us);
  return finish(&w);
}

int tmf_sample(char *buf, size_t size, uint32_t t_us, uint16_t mv, uint32_t ua) {
  writer_t w;
  if (buf == NULL) return TMF_ERR_BUFFER;
  /* mv x ua is in nW; the power must stay within TMF_MAX_POWER_UW. */
  if (ua > TMF_MAX_SAMPLE_UA || (uint64_t)mv * ua > (uint64_t)TMF_MAX_POWER_UW * 1000u) return fail(buf, size, TMF_ERR_ARG);
  begin(&w, buf, size, 'S');
  put_field(&w, t_us);
  put_field(&w, mv);
  put_field(&w, ua);
  return finish(&w);
}

int tmf_power_sample(char *buf, size_t size, uint32_t t_us, uint32_t uw) {
  writer_t w;
  if (buf == NULL) return TMF_ERR_BUFFER;
  if (uw > TMF_MAX_POWER_UW) return fail(buf, size, TMF_ERR_ARG);
  begin(&w, buf, size, 'P');
  put_field(&w, t_us);
  put_field(&w, uw);
  return finish(&w);
}

int tmf_window(char *buf, size_t size, const tmf_window_t *window) {
  writer_t w;
  if (buf == NULL) return TMF_ERR_BUFFER;
  if (window == NULL || window->duration_ms < 1u || window->duration_ms > TMF_MAX_WINDOW_DURATION_MS ||
      window->energy_uj > TMF_MAX_WINDOW_ENERGY_UJ || window->min_power_uw > TMF_MAX_POWER_UW ||
      window->max_power_uw > TMF_MAX_POWER_UW || window->min_power_uw > window->max_power_uw) {
    return fail(buf, size, TMF_ERR_ARG);
  }
  begin(&w, buf, size, 'W');
  put_field(&w, window->seq);
  put_field(&w, window->duration_ms);
  put_field(&w, window->energy_uj);
  put_field(&w, window->samples);
  put_field(&w, window->min_power_uw);
  put_field(&w, window->max_power_uw);
  put_field(&w, window->inferences);
  return finish(&w);
}

int tmf_event(char *buf, size_t size, uint32_t t_us, tmf_edge_t edge, uint32_t inference) {
  writer_t w;
  if (buf == NULL) return TMF_ERR_BUFFER;
  if (edge != TMF_EDGE_BEGIN && edge != TMF_EDGE_END) return fail(buf, size, TMF_ERR_ARG);
  begin(&w, buf, size, 'E');
  put_field(&w, t_us);
  put(&w, ',');
  put(&w, edge == TMF_EDGE_BEGIN ? 'B' : 'E');
  put_field(&w, inference);
  return finish(&w);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int tmf_check_line(const char *line) {
  size_t n = 0;
  size_t i;
  uint8_t sum = 0;
  int high;
  int low;
  if (line == NULL || line[0] != '$') return TMF_ERR_FRAME;
  while (line[n] != '\0' && line[n] != '\r' && line[n] != '\n') {
    if (++n > TMF_MAX_LINE_BYTES) return TMF_ERR_FRAME;
  }
  if (n < 4 || line[n - 3] != '*') return TMF_ERR_FRAME;
  high = hex_value(line[n - 2]);
  low = hex_value(line[n - 1]);
  if (high < 0 || low < 0) return TMF_ERR_FRAME;
  for (i = 1; i < n - 3; i++) {
    char c = line[i];
    if (c < 0x20 || c > 0x7E || c == '*' || c == '$') return TMF_ERR_FRAME;
    sum ^= (uint8_t)c;
  }
  if (sum != (uint8_t)((high << 4) | low)) return TMF_ERR_CHECKSUM;
  /* A TMF1 line must read "$TMF1,<type>,..." (other talkers are not ours to judge). */
  if (n - 3 >= 5 && memcmp(line + 1, "TMF1", 4) == 0 && (line[5] != ',' || n - 3 < 8 || line[7] != ',')) {
    return TMF_ERR_FRAME;
  }
  return 0;
}
