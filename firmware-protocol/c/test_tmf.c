/* Unit test of the reference encoder against ../vectors.json (via the generated vectors.h). */
#include <stdio.h>
#include <string.h>

#include "tmf.h"
#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int failures = 0;
static int checks = 0;

static void expect(int condition, const char *what, const char *name) {
  checks++;
  if (!condition) {
    failures++;
    fprintf(stderr, "FAIL %s: %s\n", name, what);
  }
}

static int encode(const valid_vector_t *v, char *buf, size_t size) {
  tmf_window_t w;
  switch (v->kind) {
    case 'H':
      return tmf_hello(buf, size, v->s[0], v->s[1], v->s[2], (uint16_t)v->n[0], (uint32_t)v->n[1]);
    case 'S':
      return tmf_sample(buf, size, (uint32_t)v->n[0], (uint16_t)v->n[1], (uint32_t)v->n[2]);
    case 'P':
      return tmf_power_sample(buf, size, (uint32_t)v->n[0], (uint32_t)v->n[1]);
    case 'W':
      w.seq = (uint32_t)v->n[0];
      w.duration_ms = (uint32_t)v->n[1];
      w.energy_uj = v->n[2];
      w.samples = (uint32_t)v->n[3];
      w.min_power_uw = (uint32_t)v->n[4];
      w.max_power_uw = (uint32_t)v->n[5];
      w.inferences = (uint32_t)v->n[6];
      return tmf_window(buf, size, &w);
    case 'E':
      return tmf_event(buf, size, (uint32_t)v->n[0], v->n[1] == 0 ? TMF_EDGE_BEGIN : TMF_EDGE_END, (uint32_t)v->n[2]);
    default:
      return -100;
  }
}

static void test_valid_vectors(void) {
  size_t i;
  for (i = 0; i < COUNT(VALID_VECTORS); i++) {
    const valid_vector_t *v = &VALID_VECTORS[i];
    char buf[TMF_LINE_BUFFER_SIZE];
    char expected[TMF_LINE_BUFFER_SIZE + 8];
    int n = encode(v, buf, sizeof buf);
    snprintf(expected, sizeof expected, "%s\r\n", v->line);
    expect(n == (int)strlen(expected), "returned length", v->name);
    expect(strcmp(buf, expected) == 0, "encoded line equals the vector", v->name);
    if (strcmp(buf, expected) != 0) fprintf(stderr, "  got      %s  expected %s", buf, expected);
    expect(tmf_check_line(buf) == 0, "own output passes tmf_check_line", v->name);
    expect(tmf_check_line(v->line) == 0, "vector passes tmf_check_line", v->name);
    /* One byte short of what is needed: refused, and the buffer is left as an empty string. */
    if (n > 0) {
      char small[TMF_LINE_BUFFER_SIZE];
      expect(encode(v, small, (size_t)n) == TMF_ERR_BUFFER, "too small buffer refused", v->name);
      expect(small[0] == '\0', "too small buffer left empty", v->name);
    }
  }
}

static void test_frame_vectors(void) {
  size_t i;
  for (i = 0; i < COUNT(FRAME_VECTORS); i++) {
    const frame_vector_t *v = &FRAME_VECTORS[i];
    expect(tmf_check_line(v->line) == v->expected, "tmf_check_line reason", v->name);
  }
}

static void test_argument_checks(void) {
  char buf[TMF_LINE_BUFFER_SIZE];
  tmf_window_t w = {1, 1000, 5, 1, 900, 800, 0};
  char long_id[TMF_MAX_DEVICE_ID_CHARS + 2];
  memset(long_id, 'd', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  expect(tmf_hello(buf, sizeof buf, "kws 01", "nano", "1.0", 3300, 1000) == TMF_ERR_ARG, "space in id", "args");
  expect(tmf_hello(buf, sizeof buf, long_id, "nano", "1.0", 3300, 1000) == TMF_ERR_ARG, "65-char id", "args");
  expect(tmf_hello(buf, sizeof buf, "kws-01", "", "1.0", 3300, 1000) == TMF_ERR_ARG, "empty board", "args");
  expect(tmf_hello(buf, sizeof buf, "kws-01", "a,b", "1.0", 3300, 1000) == TMF_ERR_ARG, "comma in board", "args");
  expect(tmf_hello(buf, sizeof buf, "kws-01", "nano", "1.0", 3300, 60000001UL) == TMF_ERR_ARG, "period > 60 s", "args");
  expect(tmf_sample(buf, sizeof buf, 0, 3300, 10000001UL) == TMF_ERR_ARG, "current > 10 A", "args");
  expect(tmf_sample(buf, sizeof buf, 0, 20000, 10000000UL) == TMF_ERR_ARG, "power > 100 W", "args");
  expect(tmf_power_sample(buf, sizeof buf, 0, 100000001UL) == TMF_ERR_ARG, "uw > 100 W", "args");
  expect(tmf_window(buf, sizeof buf, &w) == TMF_ERR_ARG, "min > max", "args");
  w.min_power_uw = 1;
  w.duration_ms = 0;
  expect(tmf_window(buf, sizeof buf, &w) == TMF_ERR_ARG, "zero duration", "args");
  w.duration_ms = 1000;
  w.energy_uj = TMF_MAX_WINDOW_ENERGY_UJ + 1u;
  expect(tmf_window(buf, sizeof buf, &w) == TMF_ERR_ARG, "energy beyond limit", "args");
  expect(tmf_window(buf, sizeof buf, NULL) == TMF_ERR_ARG, "NULL window", "args");
  expect(tmf_event(buf, sizeof buf, 0, (tmf_edge_t)7, 0) == TMF_ERR_ARG, "bad edge", "args");
  expect(tmf_sample(NULL, 0, 0, 0, 0) == TMF_ERR_BUFFER, "NULL buffer", "args");
}

int main(void) {
  expect(VECTORS_PROTOCOL_VERSION == TMF_PROTOCOL_VERSION, "protocol version", "vectors.json");
  expect(VECTORS_MAX_LINE_BYTES == TMF_MAX_LINE_BYTES, "max line bytes", "vectors.json");
  expect(COUNT(VALID_VECTORS) >= 10 && COUNT(FRAME_VECTORS) >= 5, "vector counts", "vectors.json");
  test_valid_vectors();
  test_frame_vectors();
  test_argument_checks();
  printf("test_tmf: %d checks, %d failures (%u valid vectors, %u frame vectors)\n", checks, failures,
         (unsigned)COUNT(VALID_VECTORS), (unsigned)COUNT(FRAME_VECTORS));
  return failures == 0 ? 0 : 1;
}
