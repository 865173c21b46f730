/**
 * RFC 4180 records with the line each starts on, for error messages people can find. Pure.
 * Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF both end a record; a quote
 * inside an unquoted field is kept as it is (spreadsheets write such files). Blank lines are skipped.
 */

export interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; message: string };

export function parseCsv(text: string): CsvResult {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quotedFrom: number | undefined;
  let inQuotes = false;
  // A record that is one empty unquoted field is a blank line, not a record with one empty value.
  let sawQuote = false;

  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]?.trim() === "" && !sawQuote)) {
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = "";
    sawQuote = false;
  };

  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inQuotes) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (char === "\n") line++;
        field += char;
      }
      continue;
    }
    if (char === '"' && field === "") {
      inQuotes = true;
      sawQuote = true;
      quotedFrom = line;
    } else if (char === ",") {
      fields.push(field);
      field = "";
    } else if (char === "\r" && (text[i + 1] === "\n" || i + 1 === text.length)) {
      // CRLF: the \n ends the record
    } else if (char === "\n") {
      endRecord();
      line++;
      recordLine = line;
    } else field += char;
  }
  if (inQuotes) return { ok: false, line: quotedFrom ?? line, message: "a quoted field is never closed" };
  if (field !== "" || fields.length > 0 || sawQuote) endRecord();
  return { ok: true, records };
}
