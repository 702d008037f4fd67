/**
 * Segment ids the reader knows without looking at their shape (a fast path; any other well-formed
 * id is accepted too, see `checkSegmentId`): the envelope and acknowledgment segments plus the segments of
 * the supply-chain, health-care and finance transaction sets a hospital exchanges (810, 820, 832,
 * 835, 837, 846, 850, 852, 855, 856, 860, 865, 867, 270/271, 276/277, 278, 834). A segment id outside
 * this list is reported as `x12-unknown-segment` (AK304/IK304 1); callers can pass more ids.
 */
const IDS = `
ISA IEA ISB ISE GS GE ST SE TA1 BIN BDS AK1 AK2 AK3 AK4 AK5 AK9 IK3 IK4 IK5 CTX
BEG BCH BAK BSN BIG BPR BHT BGN BIA BCT BPT BSS BRA BMG BRE BR BRC
CUR REF PER FOB CSH SAC ITD DTM TD1 TD3 TD4 TD5 MAN PKG PAL N1 N2 N3 N4 NM1 PRV
PO1 PO2 PO3 PO4 PID MEA PWK POC ACK SCH CTP CTT AMT SE1 SLN SI TXI QTY SDQ LIN
HL PRF SN1 SN2 SLN PRS CLD LM LQ NTE MSG TDS TC2 IT1 IT3 IT4 IT8 ISS CAD SPI
ENT RMR ADX TRN N9 G53 G54 G55 G62 G39 G40 G43 G47 G69 G72 G73 G68
CLP CAS SVC LX TS3 TS2 PLB MIA MOA QTY LQ RDM
SBR PAT DMG CLM HI CL1 CN1 DN1 DN2 PWK CR1 CR2 CR3 CR4 CR5 CR6 CR7 CR8 CRC
HCP SV1 SV2 SV3 SV4 SV5 SV6 SV7 TOO DSB DTP INS HD COB LUI HLH MPI AAA EQ EB III
STC UM HSD REF PRV K3 OI MSG LE LS API SVD ICM IDC UIT INV PRR
ZA SLN PCT LDT RCD MTX YNQ USD UCS ASI TOO PID PO4 PAM CTB IN1 IN2
FA1 FA2 DG1 PD ADV CTC RTE ATH DD LS LE
`;

/** The recognised segment ids. */
export const KNOWN_SEGMENT_IDS: ReadonlySet<string> = new Set(IDS.split(/\s+/).filter((id) => id.length > 0));

/** True when `id` has the shape of a segment id: 2 or 3 upper-case letters or digits, starting with a letter. */
export function isSegmentIdShape(id: string): boolean {
  return /^[A-Z][A-Z0-9]{1,2}$/.test(id);
}
