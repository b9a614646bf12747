/*
 * tmf.h - reference encoder for the tinyml-footprint firmware protocol v1 (../SPEC.md).
 *
 * C99, no malloc, no floating point, no printf: every function formats one message into a caller buffer as
 * "$TMF1,<type>,<fields>*hh\r\n" plus a terminating NUL, and returns the number of bytes to send (NUL excluded),
 * or a negative TMF_ERR_* code (the buffer then holds an empty string). A buffer of TMF_LINE_BUFFER_SIZE bytes
 * always suffices.
 */
#ifndef TMF_H
#define TMF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TMF_PROTOCOL_VERSION 1
/* Longest line, terminator excluded (SPEC §3.1). */
#define TMF_MAX_LINE_BYTES 200
/* Line + "\r\n" + NUL. */
#define TMF_LINE_BUFFER_SIZE (TMF_MAX_LINE_BYTES + 3)

#define TMF_MAX_DEVICE_ID_CHARS 64
#define TMF_MAX_LABEL_CHARS 32
#define TMF_MAX_SAMPLE_UA 10000000UL
#define TMF_MAX_POWER_UW 100000000UL
#define TMF_MAX_SAMPLE_PERIOD_US 60000000UL
#define TMF_MAX_WINDOW_DURATION_MS 86400000UL
#define TMF_MAX_WINDOW_ENERGY_UJ 10000000000000ULL

#define TMF_ERR_BUFFER (-1)   /* buffer too small */
#define TMF_ERR_ARG (-2)      /* a field is out of range or a string is not allowed (SPEC §3.1, §3.3) */
#define TMF_ERR_FRAME (-3)    /* tmf_check_line: not "$...*hh" or a forbidden character */
#define TMF_ERR_CHECKSUM (-4) /* tmf_check_line: checksum mismatch */

typedef enum { TMF_EDGE_BEGIN = 0, TMF_EDGE_END = 1 } tmf_edge_t;

typedef struct {
  uint32_t seq;
  uint32_t duration_ms;
  uint64_t energy_uj;
  uint32_t samples;
  uint32_t min_power_uw;
  uint32_t max_power_uw;
  uint32_t inferences;
} tmf_window_t;

/* H: who is talking. supply_mv / sample_period_us 0 = unknown. Send at boot and at least every 60 s. */
int tmf_hello(char *buf, size_t size, const char *device_id, const char *board, const char *firmware,
              uint16_t supply_mv, uint32_t sample_period_us);
/* S: one sample, device time t_us (free-running, wraps), bus voltage mV, current uA (clamp negatives to 0). */
int tmf_sample(char *buf, size_t size, uint32_t t_us, uint16_t mv, uint32_t ua);
/* P: one sample as power, uW. */
int tmf_power_sample(char *buf, size_t size, uint32_t t_us, uint32_t uw);
/* W: a window integrated on the device. */
int tmf_window(char *buf, size_t size, const tmf_window_t *window);
/* E: inference begin / end marker. */
int tmf_event(char *buf, size_t size, uint32_t t_us, tmf_edge_t edge, uint32_t inference);

/* Checks framing and checksum of one line (terminator optional): 0, TMF_ERR_FRAME or TMF_ERR_CHECKSUM.
 * For a device that receives lines, and for the tests; it does not decode fields. */
int tmf_check_line(const char *line);

#ifdef __cplusplus
}
#endif

#endif /* TMF_H */
