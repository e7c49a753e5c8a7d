"""Registers every page with AppBuilder and builds the two menus: the customer's, laid
out like the manual, and the staff's, with queue counts. A menu item is shown only to
roles that may open it (FAB's menu_access), so customers and staff each see theirs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _

from app.views import has_account, has_corporate_account, has_individual_account
from app.views.portal.alimtalk_compose import AlimtalkComposeView
from app.views.portal.alimtalk_templates import AlimtalkTemplateView
from app.views.portal.addressbook import ContactsView, OptOutView, TemplateView
from app.views.portal.compose import ComposeView
from app.views.portal.dashboard import DashboardView
from app.views.portal.files import FileView
from app.views.portal.friendtalk_compose import FriendtalkComposeView
from app.views.portal.friendtalk_templates import FriendtalkTemplateView
from app.views.portal.history import ExportView, HistoryView
from app.views.portal.kakao_history import KakaoHistoryView
from app.views.portal.mypage import MyPageView
from app.views.portal.notices import NoticeView
from app.views.portal.optout_numbers import OptoutNumberView
from app.views.portal.stats import StatsView
from app.views.portal.senders import SenderView
from app.views.portal.password_reset import PasswordResetView
from app.views.portal.signup import InvitationView, SignupView
from app.views.portal.tax_invoices import TaxInvoiceView
from app.views.portal.wallet import WalletView
from app.views.portal.webhooks import WebhookView
from app.views.staff.accounts import AccountAdminView
from app.views.staff.alimtalk_templates import AlimtalkTemplateQueueView
from app.views.staff.alimtalk_templates import AlimtalkTemplateAdminView
from app.views.staff.audit import AuditLogView
from app.views.staff.finance import ExtraHolidayView, FinanceDashboardView, FinanceInvoiceView
from app.views.staff.finance_reports import FinanceReportView
from app.views.staff.home import StaffHomeView
from app.views.staff.optout080 import OptoutCallView, OptoutNumberQueueView
from app.views.staff.reviews import ApiUseQueueView, CompanyChangeQueueView, ConversionQueueView
from app.views.staff.stats import StaffStatsView
from app.views.staff.senders import (KakaoChannelQueueView, KakaoTargetingQueueView, SenderNumberAdminView,
                                     SenderNumberQueueView)
from app.views.staff.system import JobsView, SandboxOutboxView, SmppReceiptView
from app.views.staff.webhooks import StaffWebhookView
from app.views.staff.wallet import CashRefundQueueView, LedgerAdminView, PricePlanView, StaffWalletView, TopupQueueView


def register_views(appbuilder) -> None:
    # Public pages.
    appbuilder.add_view_no_menu(SignupView)
    appbuilder.add_view_no_menu(PasswordResetView)
    appbuilder.add_view_no_menu(InvitationView)
    appbuilder.add_view_no_menu(FileView)

    # Customer menu (manual order): 대시보드, 발신정보관리, 문자, 알림톡, 친구톡, 발송내역,
    # 템플릿 관리, 주소록, 충전, 마이페이지. Capabilities not built yet are not listed.
    portal = {"menu_cond": has_account}
    appbuilder.add_view(DashboardView, "Dashboard", label=_("대시보드"), icon="fa-home", **portal)
    appbuilder.add_view(SenderView, "Senders", label=_("발신정보관리"), icon="fa-id-card", **portal)
    appbuilder.add_view_no_menu(OptoutNumberView)        # 무료거부 080 번호, linked from 발신정보관리 and 문자
    appbuilder.add_view(ComposeView, "Compose", label=_("문자"), icon="fa-envelope", **portal)
    appbuilder.add_view(AlimtalkComposeView, "Alimtalk", label=_("알림톡"), icon="fa-comment", **portal)
    appbuilder.add_view(FriendtalkComposeView, "Friendtalk", label=_("친구톡"), icon="fa-comments", **portal)
    appbuilder.add_view(HistoryView, "SmsHistory", label=_("문자 발송내역"), category="History",
                        category_label=_("발송내역"), **portal)
    appbuilder.add_view(KakaoHistoryView, "KakaoHistory", label=_("카카오톡 발송내역"), category="History", **portal)
    appbuilder.add_view(StatsView, "Stats", label=_("발송통계"), category="History", **portal)
    appbuilder.add_link("Reservations", href="HistoryView.reservations", label=_("예약 메시징 현황"),
                        category="History", cond=has_account)
    appbuilder.add_view_no_menu(ExportView)
    appbuilder.add_view(TemplateView, "SmsTemplates", label=_("문자 템플릿"), category="Templates",
                        category_label=_("템플릿 관리"), **portal)
    appbuilder.add_view(AlimtalkTemplateView, "AlimtalkTemplates", label=_("알림톡 템플릿 관리"), category="Templates",
                        **portal)
    appbuilder.add_view(FriendtalkTemplateView, "FriendtalkTemplates", label=_("친구톡 템플릿"), category="Templates",
                        **portal)
    appbuilder.add_view(ContactsView, "Contacts", label=_("주소록"), category="AddressBook",
                        category_label=_("주소록"), **portal)
    appbuilder.add_view(OptOutView, "OptOuts", label=_("수신거부 목록"), category="AddressBook", **portal)
    appbuilder.add_view(WalletView, "Wallet", label=_("충전하기"), category="Charge",
                        category_label=_("충전"), **portal)
    appbuilder.add_link("Statement", href="WalletView.statement", label=_("충전/사용 내역"), category="Charge",
                        cond=has_account)
    appbuilder.add_link("CashRefund", href="WalletView.refund", label=_("환불 신청"), category="Charge",
                        cond=has_account)
    appbuilder.add_view(TaxInvoiceView, "TaxInvoices", label=_("세금계산서"), category="Charge", **portal)
    appbuilder.add_view(MyPageView, "MyInfo", label=_("내 정보"), category="MyPage",
                        category_label=_("마이페이지"), **portal)
    appbuilder.add_link("CompanyInfo", href="MyPageView.company", label=_("기업정보"), category="MyPage",
                        cond=has_corporate_account)
    appbuilder.add_link("Conversion", href="MyPageView.conversion", label=_("기업전환"), category="MyPage",
                        cond=has_individual_account)
    appbuilder.add_link("ApiUse", href="MyPageView.api_use", label=_("API 사용 신청"), category="MyPage",
                        cond=has_account)
    appbuilder.add_view_no_menu(WebhookView)           # 웹훅, linked from API 사용 신청 (연동 API)
    appbuilder.add_link("Webhooks", href="WebhookView.index", label=_("웹훅"), category="MyPage",
                        cond=has_corporate_account)
    appbuilder.add_view(NoticeView, "Notices", label=_("알림"), category="MyPage", **portal)

    # Staff menu.
    appbuilder.add_view(StaffHomeView, "StaffHome", label=_("운영 대시보드"), icon="fa-tachometer")
    appbuilder.add_view(StaffStatsView, "StaffStats", label=_("운영 발송통계"), icon="fa-bar-chart")
    appbuilder.add_view(SenderNumberQueueView, "SenderNumberQueue", label=_("발신번호 심사"),
                        category="Queues", category_label=_("심사 대기열"))
    appbuilder.add_view(KakaoChannelQueueView, "KakaoChannelQueue", label=_("카카오 채널 심사"), category="Queues")
    appbuilder.add_view(KakaoTargetingQueueView, "KakaoTargetingQueue", label=_("타겟팅(M/N) 심사"), category="Queues")
    appbuilder.add_view(AlimtalkTemplateQueueView, "AlimtalkTemplateQueue", label=_("알림톡 템플릿 검수"),
                        category="Queues")
    appbuilder.add_view(OptoutNumberQueueView, "OptoutNumberQueue", label=_("080 번호 심사"), category="Queues")
    appbuilder.add_view(ConversionQueueView, "ConversionQueue", label=_("기업전환 심사"), category="Queues")
    appbuilder.add_view(CompanyChangeQueueView, "CompanyChangeQueue", label=_("기업정보 변경 심사"), category="Queues")
    appbuilder.add_view(ApiUseQueueView, "ApiUseQueue", label=_("API 사용 신청"), category="Queues")
    appbuilder.add_view(TopupQueueView, "TopupQueue", label=_("무통장입금 확인"), category="Queues")
    appbuilder.add_view(CashRefundQueueView, "CashRefundQueue", label=_("환불 요청"), category="Queues")
    appbuilder.add_view(AccountAdminView, "Accounts", label=_("고객 계정"), category="Customers",
                        category_label=_("고객 관리"))
    appbuilder.add_view(SenderNumberAdminView, "SenderNumbers", label=_("발신번호 관리"), category="Customers")
    appbuilder.add_view(AlimtalkTemplateAdminView, "AlimtalkTemplatesAdmin", label=_("알림톡 템플릿"),
                        category="Customers")
    appbuilder.add_view(LedgerAdminView, "Ledger", label=_("원장"), category="Customers")
    appbuilder.add_view_no_menu(StaffWalletView)
    appbuilder.add_view(AuditLogView, "AuditLog", label=_("감사 로그"), category="Customers")
    appbuilder.add_view(OptoutCallView, "OptoutCalls", label=_("080 수신거부 접수"), category="Customers")
    appbuilder.add_view(StaffWebhookView, "StaffWebhooks", label=_("웹훅 전송 기록"), category="Customers")
    appbuilder.add_view(FinanceDashboardView, "FinanceDashboard", label=_("재무 대시보드"), category="Finance",
                        category_label=_("재무"))
    appbuilder.add_view(FinanceInvoiceView, "FinanceInvoices", label=_("세금계산서 발행 대기열"), category="Finance")
    appbuilder.add_view(FinanceReportView, "FinanceReports", label=_("월별 이용·매출 보고서"), category="Finance")
    appbuilder.add_view(ExtraHolidayView, "ExtraHolidays", label=_("임시공휴일"), category="Finance")
    appbuilder.add_view(SandboxOutboxView, "SandboxOutbox", label=_("샌드박스 발신함"), category="System",
                        category_label=_("시스템"))
    appbuilder.add_view(SmppReceiptView, "SmppReceipts", label=_("SMPP 수신결과"), category="System")
    appbuilder.add_view(JobsView, "Jobs", label=_("작업 큐"), category="System")
    appbuilder.add_view(PricePlanView, "PricePlans", label=_("요금제"), category="System")
