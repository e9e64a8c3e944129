// Reading a citizen ID card (CCCD) QR payload with the rules the server uses
// (bootstrap.cccd_rules, from schemas/cccd.py). Each failure names its rule as media.parse_cccd
// does; tests/media/cccd_cases.json holds the cases both pass.

export class CccdError extends Error {
  constructor(rule, message) {
    super(message);
    this.rule = rule;
  }
}

function date(value, what) {
  if (!/^\d{8}$/.test(value)) throw new CccdError("date_format", `${what} phải có dạng ngày tháng năm (ddmmyyyy).`);
  const [d, m, y] = [Number(value.slice(0, 2)), Number(value.slice(2, 4)), Number(value.slice(4))];
  const when = new Date(Date.UTC(y, m - 1, d));
  if (when.getUTCFullYear() !== y || when.getUTCMonth() !== m - 1 || when.getUTCDate() !== d) {
    throw new CccdError("date_calendar", `${what} ${value} không phải ngày có thật.`);
  }
  return `${String(y).padStart(4, "0")}-${value.slice(2, 4)}-${value.slice(0, 2)}`;
}

/** The card's record; throws CccdError with the rule that failed. `today` is "YYYY-MM-DD". */
export function parseCccd(text, rules, today = null) {
  if (typeof text !== "string" || text.length > rules.max_length) throw new CccdError("length", "Không phải mã QR căn cước.");
  const fields = text.trim().normalize("NFC").split("|");
  const line = new RegExp(rules.line_pattern);
  if (!fields.every((field) => line.test(field))) throw new CccdError("characters", "Mã QR có ký tự điều khiển hoặc ký tự ẩn.");
  while (fields.length > rules.fields && fields[fields.length - 1].trim() === "") fields.pop();
  if (fields.length !== rules.fields) throw new CccdError("fields", "Không phải mã QR căn cước (sai số trường).");
  const [idNumber, oldId, name, birth, genderText, address, issued] = fields.map((f) => f.trim());
  if (!/^\d{12}$/.test(idNumber)) throw new CccdError("id_digits", "Số định danh phải có 12 chữ số.");
  if (!rules.province_codes.includes(idNumber.slice(0, 3))) throw new CccdError("province", "Ba số đầu không phải mã tỉnh nơi sinh.");
  const coded = rules.century_digits[idNumber[3]];
  if (!coded) throw new CccdError("century_digit", "Chữ số thứ tư của số định danh không hợp lệ.");
  if (oldId && !/^(\d{9}|\d{12})$/.test(oldId)) throw new CccdError("old_id", "Số CMND cũ phải có 9 hoặc 12 chữ số.");
  if (!name || /\d/.test(name)) throw new CccdError("name", "Thiếu họ tên hoặc họ tên có chữ số.");
  const gender = rules.genders[genderText.toLowerCase()];
  if (!gender) throw new CccdError("gender", "Giới tính phải là Nam hoặc Nữ.");
  const birthDate = date(birth, "Ngày sinh");
  const issueDate = date(issued, "Ngày cấp");
  const year = Number(birthDate.slice(0, 4));
  if (year - (year % 100) !== coded.century) throw new CccdError("century", "Số định danh và năm sinh không khớp thế kỷ.");
  if (coded.gender !== gender) throw new CccdError("gender_digit", "Số định danh và giới tính không khớp.");
  if (idNumber.slice(4, 6) !== String(year % 100).padStart(2, "0")) throw new CccdError("birth_year", "Số định danh và năm sinh không khớp.");
  if (issueDate < birthDate) throw new CccdError("issued_before_birth", "Ngày cấp trước ngày sinh.");
  if (today && (issueDate > today || birthDate > today)) throw new CccdError("future", "Có ngày ở tương lai.");
  return { id_number: idNumber, old_id_number: oldId, full_name: name, birth_date: birthDate, gender, address, issue_date: issueDate };
}
