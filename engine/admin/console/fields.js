// @ts-check
/**
 * Names of the fields (HL7 v2) and elements (X12) the console shows on hover. Only the segments
 * Interlace's workflows use are named; any other position is still shown by its number.
 */

/** @type {Record<string, string[]>} HL7 v2 field names by segment; index 0 is field 1. */
export const HL7_FIELDS = {
  MSH: ['field separator', 'encoding characters', 'sending application', 'sending facility', 'receiving application', 'receiving facility', 'date/time of message', 'security', 'message type', 'message control id', 'processing id', 'version id', 'sequence number', 'continuation pointer', 'accept acknowledgment type', 'application acknowledgment type', 'country code', 'character set', 'principal language of message'],
  EVN: ['event type code', 'recorded date/time', 'date/time planned event', 'event reason code', 'operator id', 'event occurred'],
  PID: ['set id', 'patient id', 'patient identifier list', 'alternate patient id', 'patient name', "mother's maiden name", 'date/time of birth', 'administrative sex', 'patient alias', 'race', 'patient address', 'county code', 'phone number - home', 'phone number - business', 'primary language', 'marital status', 'religion', 'patient account number', 'SSN number', "driver's license number", "mother's identifier", 'ethnic group', 'birth place', 'multiple birth indicator', 'birth order', 'citizenship', 'veterans military status', 'nationality', 'patient death date and time', 'patient death indicator'],
  PV1: ['set id', 'patient class', 'assigned patient location', 'admission type', 'preadmit number', 'prior patient location', 'attending doctor', 'referring doctor', 'consulting doctor', 'hospital service', 'temporary location', 'preadmit test indicator', 're-admission indicator', 'admit source', 'ambulatory status', 'VIP indicator', 'admitting doctor', 'patient type', 'visit number', 'financial class'],
  FT1: ['set id', 'transaction id', 'transaction batch id', 'transaction date', 'transaction posting date', 'transaction type', 'transaction code', 'transaction description', 'transaction description - alt', 'transaction quantity', 'transaction amount - extended', 'transaction amount - unit', 'department code', 'insurance plan id', 'insurance amount', 'assigned patient location', 'fee schedule', 'patient type', 'diagnosis code', 'performed by code', 'ordered by code', 'unit cost', 'filler order number', 'entered by code', 'procedure code', 'procedure code modifier', 'advanced beneficiary notice code', 'medically necessary duplicate procedure reason', 'NDC code', 'payment reference id', 'transaction reference key'],
  ZIM: ['set id', 'item number', 'lot number', 'serial number', 'expiration date', 'UDI'],
  MSA: ['acknowledgment code', 'message control id', 'text message', 'expected sequence number', 'delayed acknowledgment type', 'error condition'],
  ERR: ['error code and location', 'error location', 'HL7 error code', 'severity', 'application error code', 'application error parameter', 'diagnostic information', 'user message'],
  ORC: ['order control', 'placer order number', 'filler order number', 'placer group number', 'order status', 'response flag', 'quantity/timing', 'parent', 'date/time of transaction', 'entered by', 'verified by', 'ordering provider'],
  OBR: ['set id', 'placer order number', 'filler order number', 'universal service identifier', 'priority', 'requested date/time', 'observation date/time'],
  OBX: ['set id', 'value type', 'observation identifier', 'observation sub-id', 'observation value', 'units', 'references range', 'abnormal flags', 'probability', 'nature of abnormal test', 'observation result status'],
  PR1: ['set id', 'procedure coding method', 'procedure code', 'procedure description', 'procedure date/time', 'procedure functional type', 'procedure minutes', 'anesthesiologist', 'anesthesia code', 'anesthesia minutes', 'surgeon'],
  IN1: ['set id', 'insurance plan id', 'insurance company id', 'insurance company name'],
  GT1: ['set id', 'guarantor number', 'guarantor name'],
};

/** @type {Record<string, string[]>} X12 element names by segment id; index 0 is element 01. */
export const X12_ELEMENTS = {
  ISA: ['authorization information qualifier', 'authorization information', 'security information qualifier', 'security information', 'interchange id qualifier (sender)', 'interchange sender id', 'interchange id qualifier (receiver)', 'interchange receiver id', 'interchange date', 'interchange time', 'repetition separator / standards identifier', 'interchange control version number', 'interchange control number', 'acknowledgment requested', 'usage indicator', 'component element separator'],
  GS: ['functional identifier code', "application sender's code", "application receiver's code", 'date', 'time', 'group control number', 'responsible agency code', 'version / release / industry identifier code'],
  ST: ['transaction set identifier code', 'transaction set control number', 'implementation convention reference'],
  SE: ['number of included segments', 'transaction set control number'],
  GE: ['number of transaction sets included', 'group control number'],
  IEA: ['number of included functional groups', 'interchange control number'],
  TA1: ['interchange control number', 'interchange date', 'interchange time', 'interchange acknowledgment code', 'interchange note code'],
  AK1: ['functional identifier code', 'group control number', 'version / release / industry identifier code'],
  AK2: ['transaction set identifier code', 'transaction set control number', 'implementation convention reference'],
  AK3: ['segment id code', 'segment position in transaction set', 'loop identifier code', 'segment syntax error code'],
  AK4: ['position in segment', 'data element reference number', 'data element syntax error code', 'copy of bad data element'],
  AK5: ['transaction set acknowledgment code', 'syntax error code'],
  AK9: ['functional group acknowledge code', 'number of transaction sets included', 'number of received transaction sets', 'number of accepted transaction sets', 'functional group syntax error code'],
  IK5: ['transaction set acknowledgment code', 'implementation transaction set syntax error code'],
  BEG: ['transaction set purpose code', 'purchase order type code', 'purchase order number', 'release number', 'date', 'contract number'],
  BAK: ['transaction set purpose code', 'acknowledgment type', 'purchase order number', 'date', 'release number', 'request reference number', 'contract number', 'reference identification', 'date'],
  BSN: ['transaction set purpose code', 'shipment identification', 'date', 'time', 'hierarchical structure code'],
  BIG: ['invoice date', 'invoice number', 'purchase order date', 'purchase order number', 'release number', 'change order sequence number', 'transaction type code'],
  CUR: ['entity identifier code', 'currency code'],
  REF: ['reference identification qualifier', 'reference identification', 'description'],
  PER: ['contact function code', 'name', 'communication number qualifier', 'communication number'],
  DTM: ['date/time qualifier', 'date', 'time'],
  N1: ['entity identifier code', 'name', 'identification code qualifier', 'identification code'],
  N3: ['address information', 'address information'],
  N4: ['city name', 'state or province code', 'postal code', 'country code'],
  PO1: ['assigned identification', 'quantity ordered', 'unit or basis for measurement code', 'unit price', 'basis of unit price code', 'product/service id qualifier', 'product/service id', 'product/service id qualifier', 'product/service id', 'product/service id qualifier', 'product/service id'],
  ACK: ['line item status code', 'quantity', 'unit or basis for measurement code', 'date/time qualifier', 'date', 'request reference number', 'product/service id qualifier', 'product/service id'],
  PID: ['item description type', 'product/process characteristic code', 'agency qualifier code', 'product description code', 'description'],
  CTT: ['number of line items', 'hash total'],
  HL: ['hierarchical id number', 'hierarchical parent id number', 'hierarchical level code', 'hierarchical child code'],
  TD1: ['packaging code', 'lading quantity'],
  TD5: ['routing sequence code', 'identification code qualifier', 'identification code', 'transportation method/type code', 'routing'],
  PRF: ['purchase order number', 'release number', 'change order sequence number', 'purchase order date'],
  LIN: ['assigned identification', 'product/service id qualifier', 'product/service id', 'product/service id qualifier', 'product/service id', 'product/service id qualifier', 'product/service id'],
  SN1: ['assigned identification', 'number of units shipped', 'unit or basis for measurement code', 'quantity shipped to date', 'quantity ordered', 'unit or basis for measurement code'],
  IT1: ['assigned identification', 'quantity invoiced', 'unit or basis for measurement code', 'unit price', 'basis of unit price code', 'product/service id qualifier', 'product/service id', 'product/service id qualifier', 'product/service id'],
  TDS: ['amount', 'amount subject to terms discount', 'discounted amount due', 'terms discount amount'],
  ITD: ['terms type code', 'terms basis date code', 'terms discount percent', 'terms discount due date', 'terms discount days due', 'terms net due date', 'terms net days'],
  SAC: ['allowance or charge indicator', 'service, promotion, allowance, or charge code', 'agency qualifier code', 'agency service, promotion, allowance, or charge code', 'amount'],
};

/**
 * The label shown for one position, e.g. `PID-3.1 patient identifier list` or `BEG03 purchase order number`.
 * @param {'hl7'|'x12'} format
 * @param {string} segment
 * @param {number} field 1-based
 * @param {number} [component] 1-based, HL7 only
 */
export function fieldLabel(format, segment, field, component) {
  if (format === 'hl7') {
    const name = HL7_FIELDS[segment]?.[field - 1];
    const pos = `${segment}-${field}${component ? `.${component}` : ''}`;
    return name ? `${pos} ${name}` : pos;
  }
  const name = X12_ELEMENTS[segment]?.[field - 1];
  const pos = `${segment}${String(field).padStart(2, '0')}`;
  return name ? `${pos} ${name}` : pos;
}
