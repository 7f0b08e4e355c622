/**
 * One line of the CSV that Windows tools print (schtasks /FO CSV): fields in double quotes,
 * a quote inside a field doubled. Unquoted fields are accepted too.
 */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let index = 0;
  while (index <= line.length) {
    if (line[index] === '"') {
      let value = '';
      index++;
      for (;;) {
        const quote = line.indexOf('"', index);
        if (quote < 0) {
          value += line.slice(index);
          index = line.length;
          break;
        }
        value += line.slice(index, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          index = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
      fields.push(value);
      const comma = line.indexOf(',', index);
      if (comma < 0) break;
      index = comma + 1;
    } else {
      const comma = line.indexOf(',', index);
      if (comma < 0) {
        fields.push(line.slice(index));
        break;
      }
      fields.push(line.slice(index, comma));
      index = comma + 1;
    }
  }
  return fields;
}
