"""Accuracy in the SegNet paper's terms: global accuracy, class-average accuracy, mIoU."""
