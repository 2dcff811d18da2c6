"""The community satisfaction survey (Indeks Kepuasan Masyarakat, PermenPANRB 14/2017):
its nine elements, the keys of `SurveyAnswered.scores`, and the regulation's grades.

Casework computes an office's IKM from the answers, the analysts' monthly report from the
`analytics.ikm_answers` view; both name the elements and grade the index from here.

    index 25.00-64.99  D  Tidak baik
          65.00-76.60  C  Kurang baik
          76.61-88.30  B  Baik
          88.31-100.00 A  Sangat baik
"""

from __future__ import annotations

# The elements (unsur) in the regulation's words, u1..u9, each answered 1-4.
ELEMENTS: dict[str, str] = {
    "u1": "Persyaratan",
    "u2": "Sistem, mekanisme, dan prosedur",
    "u3": "Waktu penyelesaian",
    "u4": "Biaya/tarif",
    "u5": "Produk spesifikasi jenis pelayanan",
    "u6": "Kompetensi pelaksana",
    "u7": "Perilaku pelaksana",
    "u8": "Penanganan pengaduan, saran dan masukan",
    "u9": "Sarana dan prasarana",
}
_GRADES: tuple[tuple[float, str, str], ...] = (
    (88.31, "A", "Sangat baik"),
    (76.61, "B", "Baik"),
    (65.00, "C", "Kurang baik"),
    (25.00, "D", "Tidak baik"),
)


def grade(index: float) -> tuple[str, str]:
    """The grade (mutu pelayanan) of an index 25-100, rounded to two places first: letter
    and label."""
    rounded = round(index, 2)
    for floor, letter, label in _GRADES:
        if rounded >= floor:
            return letter, label
    return "D", "Tidak baik"
