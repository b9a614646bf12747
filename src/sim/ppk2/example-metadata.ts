/**
 * The simulated kit's calibration: a real PPK2's metadata block (hdoordt/ppk2-rs `measurement.rs` test, instruments.md
 * §3), so the simulator exercises per-range offsets, gains and the VDD term as a real kit does. Test vectors keep their
 * own copy (test/ingest/serial/drivers/ppk2/vectors.ts): a vector must not change with the simulator.
 */
export const PPK2_EXAMPLE_METADATA = `Calibrated: 0
R0: 1003.3506
R1: 101.5865
R2: 10.3027
R3: 0.9636
R4: 0.0564
GS0: 0.0000
GS1: 112.7890
GS2: 18.0115
GS3: 2.4217
GS4: 0.0729
GI0: 1.0000
GI1: 0.9695
GI2: 0.9609
GI3: 0.9519
GI4: 0.9582
O0: 112.9420
O1: 75.4627
O2: 64.6020
O3: 50.4983
O4: 87.2177
VDD: 3741
HW: 9173
mode: 2
S0: 0.000000048
S1: 0.000000596
S2: 0.000005281
S3: 0.000062577
S4: 0.002940743
I0: -0.000000104
I1: -0.000001443
I2: 0.000036439
I3: -0.000374119
I4: -0.009388455
UG0: 1.00
UG1: 1.00
UG2: 1.00
UG3: 1.00
UG4: 1.00
IA: 56
END
`;
