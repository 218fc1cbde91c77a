// Builds kuromoji's binary dictionary from MeCab's text sources with kuromoji's own builder, as kuromoji's
// build does for IPADIC: `node build_japanese_dictionary.cjs KUROMOJI_FOLDER SOURCES_FOLDER OUT_FOLDER`.
// SOURCES_FOLDER holds naist-jdic.csv, unk.def, matrix.def and char.def (polyvox/export/web_japanese_dictionary.py
// writes them from pyopenjtalk's compiled dictionary); OUT_FOLDER gets the *.dat.gz files kuromoji's loader reads.
"use strict";

const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

function lines(file, each) {
  for (const line of fs.readFileSync(file, "utf-8").split("\n")) if (line) each(line);
}

function main([kuromojiFolder, sources, out]) {
  if (!out) throw new Error("usage: node build_japanese_dictionary.cjs KUROMOJI_FOLDER SOURCES_FOLDER OUT_FOLDER");
  const kuromoji = require(path.resolve(kuromojiFolder, "src", "kuromoji.js"));
  const builder = kuromoji.dictionaryBuilder();
  lines(path.join(sources, "naist-jdic.csv"), (line) => builder.addTokenInfoDictionary(line));
  lines(path.join(sources, "matrix.def"), (line) => builder.putCostMatrixLine(line));
  lines(path.join(sources, "char.def"), (line) => builder.putCharDefLine(line));
  lines(path.join(sources, "unk.def"), (line) => builder.putUnkDefLine(line));
  const built = builder.build();
  const character = built.unknown_dictionary.character_definition;
  const files = {
    "base.dat": built.trie.bc.getBaseBuffer(),
    "check.dat": built.trie.bc.getCheckBuffer(),
    "tid.dat": built.token_info_dictionary.dictionary.buffer,
    "tid_pos.dat": built.token_info_dictionary.pos_buffer.buffer,
    "tid_map.dat": built.token_info_dictionary.targetMapToBuffer(),
    "cc.dat": built.connection_costs.buffer,
    "unk.dat": built.unknown_dictionary.dictionary.buffer,
    "unk_pos.dat": built.unknown_dictionary.pos_buffer.buffer,
    "unk_map.dat": built.unknown_dictionary.targetMapToBuffer(),
    "unk_char.dat": character.character_category_map,
    "unk_compat.dat": character.compatible_category_map,
    "unk_invoke.dat": character.invoke_definition_map.toBuffer(),
  };
  fs.mkdirSync(out, { recursive: true });
  for (const [name, typed] of Object.entries(files)) {
    // The whole underlying buffer, as kuromoji's own build writes it.
    fs.writeFileSync(path.join(out, name + ".gz"), zlib.gzipSync(Buffer.from(typed.buffer), { level: 9 }));
  }
}

main(process.argv.slice(2));
