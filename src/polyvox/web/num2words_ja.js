// Japanese cardinals as num2words 0.5.14 writes them (lang "ja", kanji): groups of four digits with 万, 億, 兆,
// 京, each group in 千, 百, 十 and a digit, 一 left out before 千, 百 and 十; 零 for zero. Written from that
// rule, not from num2words' code; tests/test_web_japanese.py compares it with num2words on 20,000 numbers.
const DIGITS = "〇一二三四五六七八九";
const GROUPS = ["", "万", "億", "兆", "京", "垓"];
const PLACES = [[1000n, "千"], [100n, "百"], [10n, "十"]];

function group(value) {  // 1..9999
  let out = "";
  for (const [place, name] of PLACES) {
    const digit = value / place;
    value %= place;
    if (digit) out += (digit === 1n ? "" : DIGITS[Number(digit)]) + name;
  }
  return value ? out + DIGITS[Number(value)] : out;
}

// value: a non-negative BigInt below 10^24.
export function cardinal(value) {
  if (value === 0n) return "零";
  let out = "";
  for (let index = 0; value; index++, value /= 10000n) {
    const part = value % 10000n;
    if (part) out = group(part) + GROUPS[index] + out;
  }
  return out;
}
