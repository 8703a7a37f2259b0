import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { glueParticles, normalizeName, reorderLastFirst, tokenize } from "./normalize";

describe("normalizeName", () => {
  it("folds case and removes diacritics", () => {
    expect(normalizeName("José MÜLLER-García").tokens).toEqual(["jose", "muller", "garcia"]);
    expect(normalizeName("Łukasz Żółć Straße Þór Ørsted").tokens).toEqual(["lukasz", "zolc", "strasse", "thor", "orsted"]);
  });

  it("transliterates Cyrillic", () => {
    expect(normalizeName("Александр Петрович Коваленко").tokens).toEqual(["aleksandr", "petrovich", "kovalenko"]);
  });

  it("reorders OFAC-style \"LAST, First\"", () => {
    expect(reorderLastFirst("AL RASHID, Muhammad")).toBe("Muhammad AL RASHID");
    expect(normalizeName("AL RASHID, Muhammad").tokens).toEqual(["muhammad", "al", "rashid"]);
  });

  it("keeps the order when the part after the comma is a legal form or a generational suffix", () => {
    expect(reorderLastFirst("BANCO NACIONAL DE CUBA, S.A.")).toBe("BANCO NACIONAL DE CUBA S.A.");
    expect(reorderLastFirst("SMITH, Jr.")).toBe("SMITH Jr.");
  });

  it("removes honorifics in front and generational suffixes behind", () => {
    const name = normalizeName("Sheikh Dr. Omar O'Brien Jr.");
    expect(name.tokens).toEqual(["omar", "obrien"]);
    expect(name.removedHonorifics).toEqual(["sheikh", "dr", "jr"]);
    expect(normalizeName("Mrs. Hajji Fatima Zahra").tokens).toEqual(["fatima", "zahra"]);
  });

  it("never removes the only token", () => {
    expect(normalizeName("Dr").tokens).toEqual(["dr"]);
    expect(normalizeName("LTD").tokens).toEqual(["ltd"]);
  });

  it.each([
    ["Acme Trading LLC", ["acme", "trading"]],
    ["ACME TRADING LIMITED", ["acme", "trading"]],
    ["Acme Trading Co., Ltd.", ["acme", "trading"]],
    ["Banco Atlantico del Sur, S.A.", ["banco", "atlantico", "del", "sur"]],
    ["Nova Shipping Lines GmbH", ["nova", "shipping", "lines"]],
    ["OOO Stroyinvest", ["stroyinvest"]],
    ["ООО «Стройинвест»", ["stroyinvest"]],
    ["Obshchestvo s Ogranichennoi Otvetstvennostyu Stroyinvest", ["stroyinvest"]],
    ["PJSC Volga Bank", ["volga", "bank"]],
    ["Rossi Costruzioni S.p.A.", ["rossi", "costruzioni"]],
    ["Delta Holdings Pte. Ltd.", ["delta", "holdings"]],
    ["Zeta Logistics Pvt Ltd", ["zeta", "logistics"]],
    ["Van der Berg B.V.", ["van", "der", "berg"]],
    ["Acme Trading Limited Liability Company", ["acme", "trading"]],
  ])("removes legal forms: %s", (name, tokens) => {
    expect(normalizeName(name).tokens).toEqual(tokens);
  });

  it("joins dotted abbreviations and drops apostrophes", () => {
    expect(tokenize("J.R.R. Tolkien")).toEqual(["jrr", "tolkien"]);
    expect(tokenize("Mu'assasat al-Nur")).toEqual(["muassasat", "al", "nur"]);
  });

  it("glues particles to the following word", () => {
    expect(glueParticles(["abd", "al", "rahman", "khan"])).toEqual(["abdalrahman", "khan"]);
    expect(normalizeName("Mohammed Al-Rashid").gluedTokens).toEqual(["mohammed", "alrashid"]);
    expect(normalizeName("John Smith").gluedTokens).toBeNull();
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (name) => {
        const once = normalizeName(name);
        expect(normalizeName(once.text).tokens).toEqual(once.tokens);
      }),
      { numRuns: 2000 },
    );
  });

  it("is idempotent on name-like input with titles, commas and legal forms", () => {
    const word = fc.constantFrom("Mr", "dr.", "Sheikh", "AL", "bin", "Ltd", "S.A.", "co", "Jr", "Müller", "José", "ООО", "O'Neil", ",", "-", "Smith");
    fc.assert(
      fc.property(fc.array(word, { maxLength: 7 }), (words) => {
        const once = normalizeName(words.join(" "));
        expect(normalizeName(once.text).tokens).toEqual(once.tokens);
      }),
      { numRuns: 2000 },
    );
  });
});
