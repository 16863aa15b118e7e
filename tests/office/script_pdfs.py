# ruff: noqa: RUF001  (Chinese and Japanese punctuation is full-width on purpose)
"""PDFs in scripts other than Latin, made with reportlab's CID fonts (Adobe's standard CJK
fonts, referenced by name and never embedded, so no font file is needed): vertical Japanese
set top to bottom in columns from the right, horizontal Chinese and Korean, and a Latin
heading set letter-spaced. Shared by the tests and ``benchmarks/pdf_scripts_eval.py``."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

JAPANESE = (
    "パスワードの再設定",
    "ログイン画面で「パスワードをお忘れですか」を押してください。登録したメールアドレスに"
    "再設定用のリンクを送ります。リンクの有効期限は二十四時間です。",
    "メールが届かない場合は、迷惑メールフォルダを確認するか、サポート窓口までお問い合わせ"
    "ください。",
)
CHINESE = (
    "如何重置密码",
    "在登录页面点击忘记密码链接，然后输入您注册时使用的电子邮件地址。我们会向您发送一封包含"
    "密码重置链接的邮件。该链接在二十四小时内有效。",
)
KOREAN = (
    "비밀번호 재설정",
    "로그인 화면에서 비밀번호 찾기를 누른 다음 가입할 때 사용한 이메일 주소를 입력하세요. "
    "비밀번호 재설정 링크가 담긴 메일을 보내 드립니다.",
)
FONTS = {"ja": "HeiseiMin-W3", "zh": "STSong-Light", "ko": "HYSMyeongJo-Medium"}


def _font(language: str, *, vertical: bool) -> str:
    font = UnicodeCIDFont(FONTS[language], isVertical=vertical)
    name = font.fontName + ("-V" if vertical and not font.fontName.endswith("-V") else "")
    pdfmetrics.registerFont(font)
    return font.fontName if font.fontName in pdfmetrics.getRegisteredFontNames() else name


def vertical_pdf(paragraphs: Sequence[str] = JAPANESE, *, title: str = "") -> bytes:
    """Japanese set vertically: columns of at most ``per_column`` characters, right to left,
    a larger first column (the heading), each paragraph starting a new column."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    font = _font("ja", vertical=True)
    width, height = A4
    x = width - 60.0
    for index, text in enumerate(paragraphs):
        size = 18.0 if index == 0 else 11.0
        per_column = int((height - 120) // size)
        page.setFont(font, size)
        for start in range(0, len(text), per_column):
            page.drawString(x, height - 60, text[start : start + per_column])
            x -= size * 1.8
        x -= size
    page.save()
    return buffer.getvalue()


def horizontal_pdf(language: str, paragraphs: Sequence[str], *, per_line: int = 30) -> bytes:
    """Chinese or Korean set horizontally, ``per_line`` characters a line, a larger heading."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle("")
    font = _font(language, vertical=False)
    height = A4[1]
    y = height - 60.0
    for index, text in enumerate(paragraphs):
        size = 18.0 if index == 0 else 11.0
        page.setFont(font, size)
        for line in _wrap(text, per_line, at_spaces=language == "ko"):
            page.drawString(50, y, line)
            y -= size * 1.5
        y -= size
    page.save()
    return buffer.getvalue()


def _wrap(text: str, per_line: int, *, at_spaces: bool) -> list[str]:
    """Lines of at most ``per_line`` characters: Korean breaks between words, Chinese and
    Japanese anywhere (as their typesetting does)."""
    if not at_spaces:
        return [text[i : i + per_line] for i in range(0, len(text), per_line)]
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def letter_spaced_pdf(heading: str, body: str) -> bytes:
    """A Latin heading set with wide character spacing above an ordinary paragraph."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle("")
    height = A4[1]
    text = page.beginText(50, height - 70)
    text.setFont("Helvetica-Bold", 20)
    text.setCharSpace(7)
    text.textLine(heading)
    text.setCharSpace(0)
    text.setFont("Helvetica", 11)
    text.moveCursor(0, 20)
    text.textLine(body)
    page.drawText(text)
    page.save()
    return buffer.getvalue()
