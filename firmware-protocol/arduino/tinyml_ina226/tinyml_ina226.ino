/*
 * tinyml_ina226.ino - measure a board's supply with an INA226 and stream it in firmware protocol v1
 * (../../SPEC.md) for `tinyml-footprint measure <port>` or `serve`.
 *
 * Wiring: INA226 breakout (0.1 ohm shunt, e.g. CJMCU-226) in the supply line of the device under test:
 *   VBUS/IN+ <- supply, IN- -> DUT VCC, GND common, SDA/SCL to this board's I2C, address 0x40 (A0=A1=GND).
 * Works on any Arduino core with Wire and micros(): UNO/Nano (115200 baud UART bridge), Nano 33 BLE, RP2040,
 * ESP32, STM32duino. No floating point: newlib-nano's printf has no %f, and the AVR has no FPU.
 *
 * Output: hello at boot and every 10 s, one S line per sample (device time, mV, uA), and one W line per 10 s
 * window integrated here. The receiver takes energy from the W lines and uses the S lines for the live trace.
 */
#include <Arduino.h>
#include <Wire.h>

#include "src/tmf/tmf.h"

// ---- configuration -------------------------------------------------------------------------------------------
static const char DEVICE_ID[] = "ina226-01";       // [A-Za-z0-9_.-]{1,64}, unique per measured device
static const char BOARD[] = "arduino-ina226";       // what is being measured
static const char FIRMWARE[] = "tinyml_ina226-1.0";
static const uint32_t BAUD_RATE = 115200;
// 4 ms: 250 lines/s x ~30 bytes = 7.5 kB/s, inside 115200 baud (11.5 kB/s). Native-USB boards can go to 1000 us.
static const uint32_t SAMPLE_PERIOD_US = 4000;
static const uint32_t WINDOW_MS = 10000;            // one W line per 10 s
static const uint32_t HELLO_EVERY_MS = 10000;       // SPEC asks for <= 60 s
static const uint8_t INA226_ADDRESS = 0x40;
static const uint32_t SHUNT_MILLIOHM = 100;         // 0.1 ohm: 2.5 uV LSB / 0.1 ohm = 25 uA resolution, 819 mA range

// ---- INA226 registers (TI datasheet SBOS547, section 7.6) ------------------------------------------------------
static const uint8_t REG_CONFIG = 0x00;
static const uint8_t REG_SHUNT_VOLTAGE = 0x01;      // signed, LSB 2.5 uV
static const uint8_t REG_BUS_VOLTAGE = 0x02;        // unsigned, LSB 1.25 mV
static const uint8_t REG_MANUFACTURER_ID = 0xFE;    // reads 0x5449 ("TI")
// AVG=4 (001), VBUSCT=332 us (010), VSHCT=332 us (010), MODE=shunt+bus continuous (111): (332+332)*4 = 2.66 ms
// per conversion, inside SAMPLE_PERIOD_US, so every sample is a fresh average.
static const uint16_t CONFIG_VALUE = 0x4000 | (1u << 9) | (2u << 6) | (2u << 3) | 7u;

static char line[TMF_LINE_BUFFER_SIZE];

static bool writeRegister(uint8_t reg, uint16_t value) {
  Wire.beginTransmission(INA226_ADDRESS);
  Wire.write(reg);
  Wire.write((uint8_t)(value >> 8));
  Wire.write((uint8_t)(value & 0xFF));
  return Wire.endTransmission() == 0;
}

static bool readRegister(uint8_t reg, uint16_t *value) {
  Wire.beginTransmission(INA226_ADDRESS);
  Wire.write(reg);
  if (Wire.endTransmission(false) != 0) return false;
  if (Wire.requestFrom(INA226_ADDRESS, (uint8_t)2) != 2) return false;
  uint16_t high = (uint16_t)Wire.read();
  uint16_t low = (uint16_t)Wire.read();
  *value = (uint16_t)((high << 8) | low);
  return true;
}

static void send(int length) {
  if (length > 0) Serial.write((const uint8_t *)line, (size_t)length);
}

static void sendHello() {
  send(tmf_hello(line, sizeof line, DEVICE_ID, BOARD, FIRMWARE, 0 /* supply unknown: it is measured */, SAMPLE_PERIOD_US));
}

// ---- on-device window integration (integers only) --------------------------------------------------------------
static uint32_t windowSeq = 0;
static uint32_t windowStartMs = 0;
static uint64_t windowEnergyPj = 0;   // uW x us; a 10 s window at 100 W is 1e15 pJ, far below 2^64
static uint32_t windowSamples = 0;
static uint32_t windowMinUw = 0xFFFFFFFFUL;
static uint32_t windowMaxUw = 0;
static uint32_t previousUs = 0;
static uint32_t previousUw = 0;
static bool hasPrevious = false;

static void addSample(uint32_t nowUs, uint32_t powerUw) {
  if (hasPrevious) {
    uint32_t dtUs = nowUs - previousUs;  // unsigned subtraction: correct across the micros() wrap
    windowEnergyPj += ((uint64_t)previousUw + powerUw) * dtUs / 2u;
  }
  previousUs = nowUs;
  previousUw = powerUw;
  hasPrevious = true;
  windowSamples++;
  if (powerUw < windowMinUw) windowMinUw = powerUw;
  if (powerUw > windowMaxUw) windowMaxUw = powerUw;
}

static void closeWindowIfDue(uint32_t nowMs) {
  uint32_t elapsedMs = nowMs - windowStartMs;
  if (elapsedMs < WINDOW_MS || windowSamples == 0) return;
  tmf_window_t w;
  w.seq = windowSeq++;
  w.duration_ms = elapsedMs;
  w.energy_uj = windowEnergyPj / 1000000u;
  w.samples = windowSamples;
  w.min_power_uw = windowMinUw;
  w.max_power_uw = windowMaxUw;
  w.inferences = 0;  // a DUT that signals inferences on a GPIO could be counted here
  send(tmf_window(line, sizeof line, &w));
  windowStartMs = nowMs;
  windowEnergyPj = 0;
  windowSamples = 0;
  windowMinUw = 0xFFFFFFFFUL;
  windowMaxUw = 0;
}

// ---- Arduino entry points --------------------------------------------------------------------------------------
static uint32_t nextSampleUs = 0;
static uint32_t lastHelloMs = 0;

void setup() {
  Serial.begin(BAUD_RATE);
  Wire.begin();
  Wire.setClock(400000);
  uint16_t id = 0;
  while (!readRegister(REG_MANUFACTURER_ID, &id) || id != 0x5449 || !writeRegister(REG_CONFIG, CONFIG_VALUE)) {
    Serial.println("INA226 not found at 0x40, retrying");  // a non-message line: counted and ignored by the receiver
    delay(1000);
  }
  sendHello();
  lastHelloMs = millis();
  windowStartMs = lastHelloMs;
  nextSampleUs = micros();
}

void loop() {
  uint32_t nowUs = micros();
  if ((int32_t)(nowUs - nextSampleUs) < 0) return;
  nextSampleUs += SAMPLE_PERIOD_US;

  uint16_t shuntRaw = 0;
  uint16_t busRaw = 0;
  if (!readRegister(REG_SHUNT_VOLTAGE, &shuntRaw) || !readRegister(REG_BUS_VOLTAGE, &busRaw)) return;
  int32_t shunt = (int16_t)shuntRaw;
  if (shunt < 0) shunt = 0;  // sensor offset around 0 A: clamp (SPEC: currents are unsigned)
  uint32_t ua = (uint32_t)shunt * 2500u / SHUNT_MILLIOHM;  // 2.5 uV/LSB / R[ohm] = 2500 nV / R[mohm] -> uA
  uint32_t mv = (uint32_t)busRaw * 125u / 100u;            // 1.25 mV/LSB
  uint32_t uw = (uint32_t)(((uint64_t)mv * ua) / 1000u);

  send(tmf_sample(line, sizeof line, nowUs, (uint16_t)mv, ua));
  addSample(nowUs, uw);

  uint32_t nowMs = millis();
  closeWindowIfDue(nowMs);
  if (nowMs - lastHelloMs >= HELLO_EVERY_MS) {
    sendHello();
    lastHelloMs = nowMs;
  }
}
