"""All models, imported so that `db.metadata` (FAB's Model.metadata) knows every table of
our database (and SandboxBase.metadata the sandbox carrier's own)."""
from flask_appbuilder.security.sqla.models import User  # noqa: F401

from app.models.account import (Account, AccountMember, ApiUseApplication,  # noqa: F401
                                CompanyChangeRequest, CorporateConversion, Invitation, LoginAttempt,
                                PasswordReset, PricePlan, UserSession)
from app.models.audit import AuditLog  # noqa: F401
from app.models.files import StoredFile  # noqa: F401
from app.models.ops import PeriodicRun  # noqa: F401
from app.models.sandbox import SandboxMessage, SandboxTaxInvoice  # noqa: F401
from app.models.sender import (KakaoChannel, KakaoTargetingApplication, OptoutNumber, SenderDocument,  # noqa: F401
                               SenderNumber)
from app.models.verification import PhoneVerification, SystemMessage  # noqa: F401
from app.models.wallet import CashLot, CashLotUse, CashRefundRequest, LedgerEntry, TopupRequest  # noqa: F401
from app.models.sending import (ApiKey, ApiRequest, DailyUsage, DispatchBatch, Message, OptOut, Send,  # noqa: F401
                                SendCategoryCount, SendImage, UsageCategoryRollup, UsageDayTotal,
                                UsageDirtyDay, UsageRollup)
from app.models.contacts import (Contact, ContactGroup, MessageTemplate, OptoutCall,  # noqa: F401
                                 RecipientUpload)
from app.models.exports import ExportJob  # noqa: F401
from app.models.consent import UserConsent  # noqa: F401
from app.models.notice import AccountNotice, LowBalanceAlert, MailOutbox  # noqa: F401
from app.models.kakao import AlimtalkTemplate, AlimtalkTemplateEvent, FriendtalkTemplate  # noqa: F401
from app.models.gateway import KakaoDealerMessage, KakaoDealerRequest, SmppReceipt, SmppSubmission  # noqa: F401
from app.models.billing import BillingUsage, ExtraHoliday, TaxInvoice, TaxInvoiceItem  # noqa: F401
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: F401
