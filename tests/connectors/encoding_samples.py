# ruff: noqa: RUF001  (native text in many scripts: its letters look like Latin ones on purpose)
"""Native texts in many scripts (written for these tests), each with the legacy code pages it
is commonly stored in: the material of the decoding tests and of benchmarks/encoding_eval.py."""

from __future__ import annotations

SAMPLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "russian": (
        "Инструкция по восстановлению доступа к личному кабинету.\n"
        "Если вы забыли пароль, нажмите «Забыли пароль?» на странице входа и укажите адрес "
        "электронной почты, который использовали при регистрации. Мы отправим письмо со ссылкой "
        "для сброса пароля. Ссылка действует двадцать четыре часа. Если письмо не пришло, "
        "проверьте папку «Спам» или обратитесь в службу поддержки.\n",
        ("cp1251", "koi8_r", "mac_cyrillic", "iso8859_5", "cp866"),
    ),
    "ukrainian": (
        "Як змінити тарифний план?\n"
        "Перейдіть до розділу «Налаштування», оберіть пункт «Оплата» та натисніть кнопку "
        "«Змінити план». Нова ціна діятиме з наступного розрахункового періоду. Якщо ви "
        "перейдете на дешевший план, різницю буде зараховано на ваш рахунок.\n",
        ("cp1251", "koi8_u"),
    ),
    "greek": (
        "Πώς μπορώ να αλλάξω τη διεύθυνση χρέωσης;\n"
        "Μεταβείτε στις Ρυθμίσεις, επιλέξτε Χρεώσεις και πατήστε Επεξεργασία. Η νέα διεύθυνση "
        "θα εμφανίζεται στο επόμενο τιμολόγιο. Για ερωτήσεις σχετικά με τον ΦΠΑ επικοινωνήστε "
        "με την ομάδα υποστήριξης.\n",
        ("iso8859_7", "cp1253"),
    ),
    "turkish": (
        "Şifremi nasıl sıfırlarım?\n"
        "Giriş sayfasında «Şifremi unuttum» bağlantısına tıklayın ve kayıt olurken kullandığınız "
        "e-posta adresini girin. Size şifre sıfırlama bağlantısı içeren bir ileti göndereceğiz. "
        "Bağlantı yirmi dört saat geçerlidir. İleti gelmezse istenmeyen klasörünü kontrol edin "
        "veya destek ekibimizle iletişime geçin. Öğrenci hesapları için ücretsiz deneme süresi "
        "otuz gündür.\n",
        ("iso8859_9", "cp1254"),
    ),
    "hebrew": (
        "איך מאפסים את הסיסמה?\n"
        "בדף הכניסה לחצו על הקישור שכחתי סיסמה והזינו את כתובת הדואר האלקטרוני שאיתה נרשמתם. "
        "נשלח אליכם הודעה עם קישור לאיפוס הסיסמה. הקישור בתוקף במשך עשרים וארבע שעות. אם "
        "ההודעה לא הגיעה, בדקו את תיקיית הדואר הזבל או פנו לצוות התמיכה שלנו.\n",
        ("cp1255", "iso8859_8"),
    ),
    "arabic": (
        "كيف يمكنني إعادة تعيين كلمة المرور؟\n"
        "في صفحة تسجيل الدخول انقر على رابط نسيت كلمة المرور وأدخل عنوان البريد الإلكتروني "
        "الذي استخدمته عند التسجيل. سنرسل إليك رسالة تحتوي على رابط لإعادة تعيين كلمة المرور. "
        "يبقى الرابط صالحا لمدة أربع وعشرين ساعة.\n",
        ("cp1256", "iso8859_6"),
    ),
    "chinese_simplified": (
        "如何重置密码？\n"
        "在登录页面点击“忘记密码”链接，然后输入您注册时使用的电子邮件地址。我们会向您发送一封"
        "包含密码重置链接的邮件。该链接在二十四小时内有效。如果您没有收到邮件，请检查垃圾邮件"
        "文件夹，或者联系我们的客户支持团队。企业账户的管理员可以在后台为成员重置密码。\n",
        ("gb18030", "gbk", "gb2312"),
    ),
    "chinese_traditional": (
        "如何重設密碼？\n"
        "在登入頁面點選「忘記密碼」連結，然後輸入您註冊時使用的電子郵件地址。我們會寄給您一封"
        "包含密碼重設連結的郵件。該連結在二十四小時內有效。如果您沒有收到郵件，請檢查垃圾郵件"
        "資料夾，或者聯絡我們的客戶支援團隊。企業帳戶的管理員可以在後台為成員重設密碼。\n",
        ("big5", "cp950"),
    ),
    "japanese": (
        "パスワードを再設定するには\n"
        "ログイン画面で「パスワードをお忘れですか」をクリックし、登録時に使用したメールアドレスを"
        "入力してください。パスワード再設定用のリンクを記載したメールをお送りします。リンクの"
        "有効期限は二十四時間です。メールが届かない場合は、迷惑メールフォルダを確認するか、"
        "サポート窓口までお問い合わせください。\n",
        ("shift_jis", "euc_jp", "cp932", "iso2022_jp"),
    ),
    "korean": (
        "비밀번호를 재설정하려면 어떻게 해야 하나요?\n"
        "로그인 화면에서 비밀번호 찾기를 누른 다음 가입할 때 사용한 이메일 주소를 입력하세요. "
        "비밀번호 재설정 링크가 담긴 메일을 보내 드립니다. 링크는 스물네 시간 동안 유효합니다. "
        "메일이 오지 않으면 스팸 편지함을 확인하거나 고객 지원팀에 문의하세요.\n",
        ("euc_kr", "cp949"),
    ),
    "thai": (
        "วิธีรีเซ็ตรหัสผ่าน\n"
        "ที่หน้าเข้าสู่ระบบ ให้คลิกลิงก์ลืมรหัสผ่าน แล้วกรอกที่อยู่อีเมลที่คุณใช้ตอนสมัคร "
        "เราจะส่งอีเมลที่มีลิงก์สำหรับรีเซ็ตรหัสผ่านให้คุณ ลิงก์นี้ใช้ได้ภายในยี่สิบสี่ชั่วโมง\n",
        ("cp874", "tis_620"),
    ),
    "polish": (
        "Jak zmienić hasło?\n"
        "Na stronie logowania kliknij „Nie pamiętasz hasła?” i wpisz adres e-mail podany podczas "
        "rejestracji. Wyślemy wiadomość z łączem do zmiany hasła. Łącze jest ważne przez "
        "dwadzieścia cztery godziny. Jeżeli wiadomość nie dotarła, sprawdź folder ze spamem "
        "albo skontaktuj się z działem obsługi klienta. Użytkownicy kont firmowych mogą poprosić "
        "administratora o zresetowanie hasła.\n",
        ("cp1250", "iso8859_2"),
    ),
    "czech": (
        "Jak změnit fakturační adresu?\n"
        "Přejděte do Nastavení, vyberte Fakturace a klikněte na Upravit. Nová adresa se objeví "
        "na příští faktuře. Pokud potřebujete opravit již vystavenou fakturu, kontaktujte naši "
        "podporu. Účty organizací mohou mít více fakturačních adres pro různá oddělení.\n",
        ("cp1250", "iso8859_2"),
    ),
    "french": (
        "Comment réinitialiser mon mot de passe ?\n"
        "Sur la page de connexion, cliquez sur « Mot de passe oublié ? » et saisissez l’adresse "
        "électronique utilisée lors de l’inscription. Nous vous enverrons un courriel contenant "
        "un lien de réinitialisation, valable vingt-quatre heures. Si vous ne le recevez pas, "
        "vérifiez le dossier des indésirables ou contactez l’équipe d’assistance — elle répond "
        "en général en moins d’une journée.\n",
        ("cp1252",),
    ),
    "german": (
        "Wie ändere ich mein Passwort?\n"
        "Klicken Sie auf der Anmeldeseite auf „Passwort vergessen?“ und geben Sie die "
        "E-Mail-Adresse ein, mit der Sie sich registriert haben. Wir schicken Ihnen eine "
        "Nachricht mit einem Link zum Zurücksetzen. Der Link ist vierundzwanzig Stunden gültig. "
        "Prüfen Sie bitte auch Ihren Spam-Ordner, bevor Sie sich an unseren Kundendienst "
        "wenden. Größere Teams können die Anmeldung über Single Sign-on regeln.\n",
        ("cp1252", "iso8859_15"),
    ),
}

#: Typographic quotes and dashes some code pages (KOI8, ISO-8859-x) cannot hold.
_ASCII_PUNCTUATION = str.maketrans(
    {"«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "\u2019": "'", "—": "-", "\u2013": "-"}
)


def encodable(text: str, codec: str) -> str:
    """``text`` as a writer of that code page would have typed it (ASCII quotes and dashes
    where the code page has no typographic ones)."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return text.translate(_ASCII_PUNCTUATION)
    return text
