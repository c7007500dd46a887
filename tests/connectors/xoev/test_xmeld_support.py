"""Shared helpers of the xoev.xmeld tests: the sample path, hand-written answers, a connector."""

from __future__ import annotations

from pathlib import Path

from connectors.base import ConnectorOptions
from connectors.xoev.xmeld import XMeldConnector

ROOT = Path(__file__).resolve().parents[3]  # the project root
SHARED_XOEV = ROOT.parent / "shared" / "xoev"
SAMPLE = (
    SHARED_XOEV
    / "xmeld"
    / "samples"
    / ("xmeld-25.11a-datenabruf.freieSuche.suchanfrage.1332.reconstructed.xml")
)
NS = "http://www.osci.de/xmeld2511a"

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<xmeld:datenabruf.freieSuche.antwort.1333 xmlns:xmeld="http://www.osci.de/xmeld2511a"
    version="25.11a" produkt="Meldeportal" produkthersteller="Land" standard="XMeld">
  <nachrichtenkopf.g2g>
    <identifikation.nachricht>
      <nachrichtenUUID>0c3e2d7a-5b8e-4a55-9d7e-2b1f3e0c9a11</nachrichtenUUID>
      <nachrichtentyp><code>1333</code></nachrichtentyp>
      <erstellungszeitpunkt>2025-03-25T08:35:02.100+01:00</erstellungszeitpunkt>
    </identifikation.nachricht>
    <leser><verzeichnisdienst listVersionID="3"><code>DVDV</code></verzeichnisdienst>
      <kennung>dbs:060030010000</kennung><name>Amtsgericht S Stadt</name></leser>
    <autor><verzeichnisdienst listVersionID="3"><code>DVDV</code></verzeichnisdienst>
      <kennung>ags:09000009</kennung><name>S Stadt, Bürgerbüro</name></autor>
  </nachrichtenkopf.g2g>
  <xmeld:antwortSuchanfrage>
"""
_TAIL = """  </xmeld:antwortSuchanfrage>
</xmeld:datenabruf.freieSuche.antwort.1333>
"""


def answer(body: str) -> bytes:
    return (_HEAD + body + _TAIL).encode()


# Two persons: umlauts and ß, a name component ("von"), a Doktorgrad, a partial birth date,
# a foreign nationality next to the German one, an IdNr, an address abroad.
TWO_PERSONS = answer("""
    <xmeld:auskunft>
      <xmeld:ergebnisstatus
          listURI="urn:de:xmeld:schluesseltabelle:behoerdenauskunft.ergebnisstatus"><code>02</code>
          </xmeld:ergebnisstatus>
      <xmeld:person>
        <xmeld:name>
          <xmeld:familienname><xmeld:nachname>Weiß-Müller</xmeld:nachname>
          <xmeld:namensbestandteil>von</xmeld:namensbestandteil></xmeld:familienname>
          <xmeld:geburtsname><xmeld:nachname>Öztürk</xmeld:nachname></xmeld:geburtsname>
          <xmeld:vornamen><name>Jürgen Käthe</name></xmeld:vornamen>
          <xmeld:doktorgrad>Dr.</xmeld:doktorgrad>
        </xmeld:name>
        <xmeld:geburtsangaben>
          <xmeld:geburtsort>Eskişehir</xmeld:geburtsort>
          <xmeld:geburtsortStaat
              listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat">
              <code>163</code></xmeld:geburtsortStaat>
          <xmeld:geburtsdatum><teilbekanntesDatum><jahrMonat>1971-04</jahrMonat>
          </teilbekanntesDatum></xmeld:geburtsdatum>
        </xmeld:geburtsangaben>
        <xmeld:wohnung>
          <xmeld:anschrift><xmeld:anschrift.inland>
            <gemeindeschluessel
                listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags">
                <code>09162000</code></gemeindeschluessel>
            <hausnummer>17</hausnummer>
            <hausnummerBuchstabeZusatzziffer>a</hausnummerBuchstabeZusatzziffer>
            <postleitzahl>80331</postleitzahl><strasse>Straße des 17. Juni</strasse>
            <wohnort>München</wohnort>
          </xmeld:anschrift.inland></xmeld:anschrift>
          <xmeld:wohnung.aktuell>true</xmeld:wohnung.aktuell>
        </xmeld:wohnung>
        <xmeld:verstorben>false</xmeld:verstorben>
        <xmeld:geschlecht listVersionID="1"><code>m</code></xmeld:geschlecht>
        <xmeld:staatsangehoerigkeit><xmeld:staatsangehoerigkeit
            listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit">
            <code>000</code></xmeld:staatsangehoerigkeit></xmeld:staatsangehoerigkeit>
        <xmeld:staatsangehoerigkeit><xmeld:staatsangehoerigkeit
            listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit">
            <code>163</code></xmeld:staatsangehoerigkeit></xmeld:staatsangehoerigkeit>
        <xmeld:identifikationsmerkmal>65929970489</xmeld:identifikationsmerkmal>
      </xmeld:person>
      <xmeld:person>
        <xmeld:name>
          <xmeld:familienname><xmeld:nachname>Großmann</xmeld:nachname></xmeld:familienname>
          <xmeld:vornamen><name>Ülkü</name></xmeld:vornamen>
        </xmeld:name>
        <xmeld:geburtsangaben>
          <xmeld:geburtsdatum><teilbekanntesDatum><jahr>1950</jahr></teilbekanntesDatum>
          </xmeld:geburtsdatum>
        </xmeld:geburtsangaben>
        <xmeld:wohnung>
          <xmeld:anschrift><xmeld:anschrift.ausland><xmeld:staat
              listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat">
              <code>151</code></xmeld:staat></xmeld:anschrift.ausland></xmeld:anschrift>
          <xmeld:wohnung.aktuell>true</xmeld:wohnung.aktuell>
        </xmeld:wohnung>
        <xmeld:geschlecht listVersionID="1"><code>w</code></xmeld:geschlecht>
        <xmeld:staatsangehoerigkeit><xmeld:staatsangehoerigkeit
            listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staatsangehoerigkeit">
            <code>151</code></xmeld:staatsangehoerigkeit></xmeld:staatsangehoerigkeit>
      </xmeld:person>
    </xmeld:auskunft>
""")

ONE_PERSON = answer("""
    <xmeld:auskunft>
      <xmeld:ergebnisstatus
          listURI="urn:de:xmeld:schluesseltabelle:behoerdenauskunft.ergebnisstatus"><code>01</code>
          </xmeld:ergebnisstatus>
      <xmeld:person>
        <xmeld:name>
          <xmeld:familienname><xmeld:nachname>Schröder</xmeld:nachname></xmeld:familienname>
          <xmeld:vornamen><name>Anna-Lena Björn</name></xmeld:vornamen>
        </xmeld:name>
        <xmeld:geburtsangaben>
          <xmeld:geburtsort>Görlitz</xmeld:geburtsort>
          <xmeld:geburtsortStaat
              listURI="urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:staat">
              <code>000</code></xmeld:geburtsortStaat>
          <xmeld:geburtsdatum><teilbekanntesDatum><jahrMonatTag>1984-02-29</jahrMonatTag>
          </teilbekanntesDatum></xmeld:geburtsdatum>
        </xmeld:geburtsangaben>
        <xmeld:geschlecht listVersionID="1"><code>d</code></xmeld:geschlecht>
      </xmeld:person>
    </xmeld:auskunft>
""")

NO_PERSON = answer("""
    <xmeld:auskunft>
      <xmeld:ergebnisstatus
          listURI="urn:de:xmeld:schluesseltabelle:behoerdenauskunft.ergebnisstatus"><code>03</code>
          </xmeld:ergebnisstatus>
    </xmeld:auskunft>
""")

REFUSED = answer("""
    <xmeld:rueckweisung>
      <xmeld:grundDerRueckweisung><code>05</code></xmeld:grundDerRueckweisung>
      <xmeld:freitext>Trefferliste zu groß</xmeld:freitext>
    </xmeld:rueckweisung>
""")


def connector(**options: object) -> XMeldConnector:
    return XMeldConnector(ConnectorOptions(**options))  # type: ignore[arg-type]
